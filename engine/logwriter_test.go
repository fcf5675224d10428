package engine

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

func TestRedactingWriter(t *testing.T) {
	const secret = "harness-service-secret"
	const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJl"
	var out bytes.Buffer
	w := newRedactingWriter(&out, []string{secret})
	text := "spec failed: the backend echoed " + token + " and " + base64.StdEncoding.EncodeToString([]byte(secret)) +
		"\n\x1b]0;pwned\x07 title\nunfinished " + secret
	// Written in small pieces, so that tokens and secrets straddle writes.
	for i := 0; i < len(text); i += 7 {
		if _, err := w.Write([]byte(text[i:min(i+7, len(text))])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, bad := range []string{secret, token[:30], base64.StdEncoding.EncodeToString([]byte(secret)), "\x1b", "\x07"} {
		if strings.Contains(got, bad) {
			t.Errorf("log holds %q:\n%s", bad, got)
		}
	}
	if !strings.Contains(got, `\x1b]0;pwned\x07 title`) || strings.Count(got, "\n") != 2 {
		t.Errorf("log:\n%s", got)
	}
}
