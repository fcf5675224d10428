package tokens

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

func mk(header, payload string) string {
	e := base64.RawURLEncoding.EncodeToString
	return e([]byte(header)) + "." + e([]byte(payload)) + ".c2ln"
}

func TestSubject(t *testing.T) {
	tests := []struct {
		name    string
		token   string
		want    string
		wantErr bool
	}{
		{"ok", mk(`{"alg":"HS256"}`, `{"sub":"u1","jti":"j"}`), "u1", false},
		{"numeric sub", mk(`{"alg":"HS256"}`, `{"sub":12}`), "", true},
		{"empty sub", mk(`{"alg":"HS256"}`, `{"sub":""}`), "", true},
		{"two parts", "a.b", "", true},
		{"not base64", "a.%%%.c", "", true},
		{"not JSON", "a." + base64.RawURLEncoding.EncodeToString([]byte("[1]")) + ".c", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Subject(tt.token)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("Subject = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestWithClaimsKeepsSignature(t *testing.T) {
	tok := mk(`{"alg":"HS256"}`, `{"sub":"alice","email":"a@x"}`)
	forged, err := WithClaims(tok, map[string]any{"sub": "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if sub, _ := Subject(forged); sub != "bob" {
		t.Errorf("forged sub = %q, want bob", sub)
	}
	if !strings.HasSuffix(forged, ".c2ln") || strings.Split(forged, ".")[0] != strings.Split(tok, ".")[0] {
		t.Errorf("header or signature changed: %s", forged)
	}
	c, _ := Claims(forged)
	if c["email"] != "a@x" {
		t.Errorf("other claims lost: %v", c)
	}
}

func TestFingerprintHidesToken(t *testing.T) {
	tok := mk(`{"alg":"HS256"}`, `{"sub":"u","jti":"0123456789abcdef0123"}`)
	fp := Fingerprint(tok)
	if strings.Contains(fp, tok) || !strings.HasPrefix(fp, "jti:0123456789ab…/sha256:") {
		t.Errorf("Fingerprint = %q", fp)
	}
	if Fingerprint("garbage") == Fingerprint("garbage2") {
		t.Error("different tokens, same fingerprint")
	}
}

// TestSubjectReadsExactly checks Subject's fast path against the exact
// reading of every claim: the same sub, or the same refusal.
func TestSubjectReadsExactly(t *testing.T) {
	payloads := []string{
		`{"sub":"u1","exp":1}`,
		`{"sub":"u1","SUB":"u2"}`,
		`{"SUB":"u2","sub":"u1"}`,
		`{"Sub":"u2"}`,
		`{"ſub":"u2","sub":"u1"}`,
		`{"sub":"u1","ſub":"u2"}`,
		`{"aud":"sub","sub":"u1"}`,
		`{"sub":1}`,
		`{"sub":""}`,
		`{"sub":"a","sub":"b"}`,
		`{}`,
		`[]`,
	}
	for _, p := range payloads {
		tok := "e30." + base64.RawURLEncoding.EncodeToString([]byte(p)) + ".sig"
		var want string
		var m map[string]any
		if json.Unmarshal([]byte(p), &m) == nil {
			want, _ = m["sub"].(string)
		}
		got, err := Subject(tok)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("%s: Subject = %q, %v; want %q", p, got, err, want)
		}
	}
}
