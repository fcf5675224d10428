package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/gpcheck/gpcheck/engine"
)

// FuzzLoadConfig feeds arbitrary YAML, as a gpcheck.yaml in a fresh
// t.TempDir(), to loadConfig over the default spec. Nothing is written
// outside that directory. Properties:
//   - it never panics;
//   - every error names the file (it starts with the path);
//   - an accepted config written back as YAML loads again to the same
//     YAML (gpcheck.yaml is a fixed point of write∘load).
func FuzzLoadConfig(f *testing.F) {
	for _, s := range []string{
		"",
		"target: local\nusers: 10\nlabel_filter: golden-path\nfaults: [drop-events]\n",
		"target: remote\nauth_url: https://auth.staging.example\nbackend_url: https://api.staging.example\nws_url: wss://chat.staging.example/ws\nprofile: staging.yaml\nca_file: ca.pem\nrequest_timeout: 5s\nsigning_key_file: key.txt\n",
		"target: containers\nimages:\n  auth: registry.example/auth:1\n  backend: registry.example/backend:1\n  ws: registry.example/ws:1\n",
		"users: 200\nconcurrency: 50\nmessages: 0\nduration: 10m\nramp: 30s\nkeepalive: 15s\nseed: 18446744073709551615\nmin_completion: 99.5\ntimeout: 1h\nfail_on: high\n",
		"user_mode: credentials\ncredentials_file: users.csv\nbypass_key_file: bypass.txt\nservice_id: gpcheck\nservice_secret_file: secret.txt\n",
		"focus: [\"golden path completes\"]\nshard: 1/4\nreport_dir: out\nhistory: nightly.jsonl\norigin: https://app.example\n",
		"scan:\n  auth_paths: ['services/auth/**', 'libs/jwt/*.py']\n",
		"users: 5\nbogus: 1\n",
		"users: many\n",
		"timeout: forever\n",
		"min_completion: .nan\n",
		"shards: [1/2]\n",
		"users: &n 3\nconcurrency: *n\n",
		"---\nusers: 1\n---\nusers: 2\n",
		"- users\n",
		"users: 1\n\tconcurrency: 2\n",
		"\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64<<10 {
			t.Skip("input over 64 KiB: this target keeps each input small so that it runs in milliseconds; inputs up to 64 KiB run in make test (seed corpus) and make fuzz")
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "gpcheck.yaml")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := loadConfig(path, engine.DefaultSpec())
		if err != nil {
			if c != nil {
				t.Fatalf("loadConfig returned a config with error %v", err)
			}
			if !strings.HasPrefix(err.Error(), path+": ") {
				t.Fatalf("error does not name the file: %q\ninput: %q", err, b)
			}
			return
		}
		if c == nil {
			t.Fatal("loadConfig returned nil config and nil error")
		}
		y1, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("encode accepted config: %v\ninput: %q", err, b)
		}
		path2 := filepath.Join(dir, "again.yaml")
		if err := os.WriteFile(path2, y1, 0o600); err != nil {
			t.Fatal(err)
		}
		c2, err := loadConfig(path2, engine.DefaultSpec())
		if err != nil {
			t.Fatalf("an accepted config written back does not load: %v\ninput: %q\nwritten:\n%s", err, b, y1)
		}
		y2, err := yaml.Marshal(c2)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if !bytes.Equal(y1, y2) {
			t.Fatalf("config changed through write and load:\ninput: %q\nfirst:\n%s\nsecond:\n%s", b, y1, y2)
		}
	})
}
