package engine

import (
	"bytes"
	"strings"
	"testing"
)

func TestComposeKeyFromText(t *testing.T) {
	for _, tc := range []struct {
		text, format string
		want         []byte
		bad          string // in the error
	}{
		{"a raw key, as an env var holds it\n", "", []byte("a raw key, as an env var holds it"), ""},
		{"0011aaff", "raw", []byte("0011aaff"), ""},
		{" 0011aaff ", "hex", []byte{0x00, 0x11, 0xaa, 0xff}, ""},
		{"c2VjcmV0LWtleQ==", "base64", []byte("secret-key"), ""},
		{"c2VjcmV0LWtleQ", "base64", []byte("secret-key"), ""},
		{"zz-not-hex-secret", "hex", nil, "not hex"},
		{"!!!", "base64", nil, "not base64"},
		{"k", "pem", nil, "unknown --signing-key-format"},
	} {
		got, err := keyFromText(tc.text, tc.format)
		switch {
		case tc.bad != "":
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("keyFromText(%q, %q) = %v, want an error containing %q", tc.text, tc.format, err, tc.bad)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("the error quotes the value: %v", err)
			}
		case err != nil || !bytes.Equal(got, tc.want):
			t.Errorf("keyFromText(%q, %q) = %q, %v; want %q", tc.text, tc.format, got, err, tc.want)
		}
	}
}

func TestComposeTargetIsRegistered(t *testing.T) {
	if _, err := lookupTarget("compose"); err != nil {
		t.Fatal(err)
	}
	spec := DefaultSpec()
	spec.Target, spec.ComposeFiles = "compose", []string{"compose.yaml"}
	spec.Roles = map[string]string{"auth": "identity", "backend": "api", "ws": "gateway:9103"}
	if _, err := Plan(spec); err != nil {
		t.Errorf("Plan: %v", err)
	}
}
