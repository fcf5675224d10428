package main

import (
	"encoding/json"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpcheck/gpcheck/reports"
)

func TestComposeRoleFlag(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want map[string]string
		bad  string // in the error
	}{
		{[]string{"auth=identity,backend=api,ws=gateway:9103"}, map[string]string{"auth": "identity", "backend": "api", "ws": "gateway:9103"}, ""},
		{[]string{"auth=all:8080", "backend=all:8080", "ws=all:8081"}, map[string]string{"auth": "all:8080", "backend": "all:8080", "ws": "all:8081"}, ""},
		{[]string{"auth=a", "auth=b"}, map[string]string{"auth": "b"}, ""},
		{[]string{"identity"}, nil, "names no role"},
		{[]string{"db=postgres"}, nil, "unknown role"},
		{[]string{"auth="}, nil, "names no service"},
		{[]string{"ws=gateway:http"}, nil, "1..65535"},
		{[]string{"ws=gateway:70000"}, nil, "1..65535"},
	} {
		var m map[string]string
		f := roleFlag{&m}
		var err error
		for _, v := range tc.in {
			if err = f.Set(v); err != nil {
				break
			}
		}
		switch {
		case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)):
			t.Errorf("%q: err = %v, want one containing %q", tc.in, err, tc.bad)
		case tc.bad == "" && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.bad == "" && !maps.Equal(m, tc.want):
			t.Errorf("%q: got %v, want %v", tc.in, m, tc.want)
		}
	}
}

// TestComposeFlagsNeedTheTarget checks the compose target's settings
// against the target, through the flags.
func TestComposeFlagsNeedTheTarget(t *testing.T) {
	compose := []string{"--target", "compose", "--compose-file", "c.yaml", "--role", "auth=a,backend=b,ws=c"}
	for _, tc := range []struct {
		args []string
		want string // in the error; "" for none
	}{
		{compose, ""},
		{append(compose, "--profile", "p.yaml", "--signing-key-var", "K", "--build", "--compose-profile", "full", "--env-file", "ci.env"), ""},
		{[]string{"--env-file", "ci.env"}, "--env-file needs --target compose"},
		{[]string{"--target", "containers", "--role", "auth=a"}, "--role needs --target compose"},
		{[]string{"--target", "remote", "--build"}, "--build needs --target compose"},
		{[]string{"--target", "compose", "--role", "auth=a,backend=b,ws=c"}, "needs --compose-file"},
		{[]string{"--target", "compose", "--compose-file", "c.yaml", "--role", "auth=a,backend=b"}, "--role ws=SERVICE"},
		{append(compose, "--fault", "drop-events"), "--fault works only"},
		{append(compose, "--auth-url", "http://x"), "--auth-url needs --target remote"},
		{append(compose, "--signing-key-var", "K", "--signing-key-file", "k"), "give one"},
		{[]string{"--profile", "p.yaml"}, "--profile needs --target remote or compose"},
	} {
		spec, _, err := runSpec(append(tc.args, "--report-dir", t.TempDir()), io.Discard)
		if err == nil {
			err = spec.Validate()
		}
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: err = %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

// TestComposeRerunKeepsDigests shows --rerun-failed replaying a compose
// report's images by digest, unless the flags name other images.
func TestComposeRerunKeepsDigests(t *testing.T) {
	dir := t.TempDir()
	spec := reports.DefaultRunSpec()
	spec.Target, spec.ComposeFiles = "compose", []string{"compose.yaml"}
	spec.Roles = map[string]string{"auth": "identity", "backend": "api", "ws": "gateway:9103"}
	spec.ImageDigests = map[string]string{"api": "sha256:" + strings.Repeat("a", 64)}
	spec.ComposeHashes = map[string]string{"compose.yaml": "sha256:" + strings.Repeat("b", 64)}
	rep := reports.Report{SchemaVersion: reports.SchemaVersion, Verdict: reports.VerdictFailed, Spec: spec,
		Specs: []reports.SpecReport{{Name: "WebSocket gateway refuses", State: reports.StateFailed}}}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, _, err := runSpec([]string{"--rerun-failed", dir}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got.ImageDigests, spec.ImageDigests) || !maps.Equal(got.ComposeHashes, spec.ComposeHashes) {
		t.Errorf("rerun digests %v, hashes %v; want the report's", got.ImageDigests, got.ComposeHashes)
	}
	got, _, err = runSpec([]string{"--rerun-failed", dir, "--compose-file", "rc2.yaml"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got.ImageDigests != nil {
		t.Errorf("rerun with another Compose file kept the digests %v", got.ImageDigests)
	}
}
