package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// loc renders a finding as "path:line:col rule".
func loc(f Finding) string {
	return fmt.Sprintf("%s:%d:%d %s", f.Path, f.Line, f.Column, f.Rule)
}

func scanOK(t *testing.T, paths []string, opts Options) Result {
	t.Helper()
	r, err := Scan(context.Background(), paths, opts)
	if err != nil {
		t.Fatalf("Scan(%v): %v", paths, err)
	}
	return r
}

func checkFindings(t *testing.T, r Result, want []string) {
	t.Helper()
	var got []string
	for _, f := range r.Findings {
		got = append(got, loc(f))
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n got:\n  %s\n want:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// writeTree creates files (slash path -> contents) under a new temp dir.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// scanSource scans one file holding src and returns its findings as
// "line:col rule" at confidence conf.
func scanSource(t *testing.T, file, src string, conf Confidence) []string {
	t.Helper()
	dir := writeTree(t, map[string]string{file: src})
	r := scanOK(t, []string{dir}, Options{Root: dir, MinConfidence: conf})
	var got []string
	for _, f := range r.Findings {
		got = append(got, fmt.Sprintf("%d:%d %s", f.Line, f.Column, f.Rule))
	}
	return got
}

// TestLexing checks single snippets: decoys must produce nothing, real
// code exactly the listed findings (default confidence).
func TestLexing(t *testing.T) {
	const pyJWT = "import jwt\n"
	const goJWT = "package a\nimport \"github.com/golang-jwt/jwt/v5\"\n"
	const jsJWT = "const jwt = require('jsonwebtoken');\n"
	tests := []struct {
		name, file, src string
		want            []string // "line:col rule"
	}{
		{"py hash in string", "a.py", pyJWT + "s = '# not a comment'; jwt.decode(t)\n", []string{"1:8 jwt_import", "2:24 jwt_operation"}},
		{"py comment", "a.py", "x = 1  # jwt.decode(t) os.environ['JWT_SECRET']\n", nil},
		{"py docstring", "a.py", "def f():\n    \"\"\"JWT_SECRET jwt.decode(t) os.environ['JWT_SECRET']\"\"\"\n    return 1\n", nil},
		{"py module docstring word", "a.py", "'JWT_SECRET'\nx = 1\n", nil},
		{"py one-line def docstring", "a.py", "def f(): 'JWT_SECRET'\n", nil},
		{"py triple string value", "a.py", pyJWT + "q = \"\"\"\njwt.decode(t)\n\"\"\"\nk = os.environ['JWT_SECRET']\n", []string{"1:8 jwt_import", "5:16 secret_read"}},
		{"py string with spaces", "a.py", "raise KeyError('JWT_SECRET is not set')\n", nil},
		{"py escaped quote", "a.py", pyJWT + "s = 'it\\'s jwt.decode(x)'\nv = jwt.encode(p)\n", []string{"1:8 jwt_import", "3:5 jwt_operation"}},
		{"py line continuation", "a.py", pyJWT + "x = \\\n  jwt.decode(t)\n", []string{"1:8 jwt_import", "3:3 jwt_operation"}},
		{"py relative import", "a.py", "from .jwt import decode\ndecode(t)\n", nil},
		{"py from import paren", "a.py", "from jwt import (\n    encode as enc,\n)\nenc(p)\n", []string{"1:6 jwt_import", "4:1 jwt_operation"}},
		{"py unbound jwt is not the library", "a.py", "x = jwt.decode(t)\n", nil},
		{"py unicode column", "a.py", pyJWT + "é = jwt.decode(t)\n", []string{"1:8 jwt_import", "2:5 jwt_operation"}},
		{"py instance of a bound class", "a.py", "from authlib.jose import JsonWebToken\nj = JsonWebToken(['HS256'])\nj.decode(t, k)\n", []string{"1:6 jwt_import", "3:1 jwt_operation"}},
		{"go rune and raw", "a.go", goJWT + "var q = '\"'\nvar r = `jwt.Parse(x)\n` + \"x\"\nvar s = jwt.Parse(r)\n", []string{"2:8 jwt_import", "6:9 jwt_operation"}},
		{"go block comment lines", "a.go", goJWT + "/*\njwt.Parse(x)\n*/\nvar s = jwt.Parse(r)\n", []string{"2:8 jwt_import", "6:9 jwt_operation"}},
		{"go method value not a call", "a.go", goJWT + "var p = jwt.Parse\n", []string{"2:8 jwt_import"}},
		{"go dot import", "a.go", "package a\nimport . \"github.com/golang-jwt/jwt/v5\"\n", []string{"2:10 jwt_import"}},
		{"go not a jwt module", "a.go", "package a\nimport \"github.com/golang-jwt/jwtx\"\nvar s = jwt.Parse(r)\n", nil},
		{"go gopkg.in", "a.go", "package a\nimport \"gopkg.in/square/go-jose.v2/jwt\"\nvar _ = jwt.ParseSigned(s)\n", []string{"2:8 jwt_import", "3:9 jwt_operation"}},
		{"go any receiver", "a.go", "package a\nfunc f(t T) { t.SignedString(k) }\n", []string{"2:15 jwt_operation"}},
		{"js regex with quote", "a.js", jsJWT + "const r = /'/; jwt.verify(t)\n", []string{"1:21 jwt_import", "2:16 jwt_operation"}},
		{"js regex-like text with an escaped line break", "a.js", jsJWT + "let r = /a\\\nb/\n\njwt.verify(t, k)\n", []string{"1:21 jwt_import", "5:1 jwt_operation"}},
		{"js division is not regex", "a.js", jsJWT + "const x = a / b; jwt.verify(t) / 2\n", []string{"1:21 jwt_import", "2:18 jwt_operation"}},
		{"js nested template", "a.js", jsJWT + "const s = `a ${`b ${jwt.sign(p)}`} c`;\n", []string{"1:21 jwt_import", "2:21 jwt_operation"}},
		{"js template text", "a.js", jsJWT + "const s = `jwt.sign(p) ${x} process.env.JWT_SECRET`;\n", []string{"1:21 jwt_import"}},
		{"js template substitution", "a.js", "const s = `${process.env.JWT_SECRET}`;\n", []string{"1:26 secret_read"}},
		{"js block comment", "a.js", "/* jwt.sign(p)\n process.env.JWT_SECRET */ const y = 1;\n", nil},
		{"js export from", "a.js", "export { default } from 'jsonwebtoken/sign';\n", []string{"1:25 jwt_import"}},
		{"js side-effect import", "a.js", "import 'jose';\n", []string{"1:8 jwt_import"}},
		{"js not jwt module", "a.js", "import x from 'josee';\nconst y = require('jsonwebtokens');\n", nil},
		{"js inline require", "a.js", "require('jose').decodeJwt(t);\n", []string{"1:9 jwt_import", "1:17 jwt_operation"}},
		{"js method def sharing imported name", "a.js", "import { verify } from 'jsonwebtoken';\nclass A {\n  run(t) {\n    return verify(t);\n  }\n  verify(t) {\n    return 1;\n  }\n}\n",
			[]string{"1:24 jwt_import", "3:3 duplicate_validator", "4:12 jwt_operation"}},
		{"js call is not def", "a.js", "if (validateToken(t)) { x(); }\nvalidateToken(t);\n", nil},
		{"ts type member arrow", "a.ts", "type V = {\n  validateToken: (t: string) => boolean;\n};\n", nil},
		{"ts secret in string key", "a.ts", "const k = cfg['auth.jwt_secret'];\n", []string{"1:15 secret_read"}},
		{"ts default jwt-decode", "a.ts", "import decode from 'jwt-decode';\nconst c = decode(t);\n", []string{"1:20 jwt_import", "2:11 jwt_operation"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := scanSource(t, tc.file, tc.src, ""); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestFStrings: code inside Python f-string replacement fields is code,
// whatever its spacing; the literal text around it is not.
func TestFStrings(t *testing.T) {
	const head = "import jwt\nfrom app import settings\n"
	tests := []struct {
		name, line string
		want       []string // findings on line 3
	}{
		{"attribute", `x = f"{settings.JWT_SECRET_KEY}"`, []string{"3:17 secret_read"}},
		{"spaced", `x = f"{ settings.JWT_SECRET_KEY }"`, []string{"3:18 secret_read"}},
		{"call", `x = f"...{jwt.encode(p, k)}..."`, []string{"3:11 jwt_operation"}},
		{"prefix rf", `x = rf"\d{jwt.decode(t)}"`, []string{"3:11 jwt_operation"}},
		{"upper F", `x = F'{jwt.decode(t)}'`, []string{"3:8 jwt_operation"}},
		{"conversion and spec", `x = f"{settings.JWT_SECRET!r:>{width}}"`, []string{"3:17 secret_read"}},
		{"self-documenting", `x = f"{settings.JWT_SECRET=}"`, []string{"3:17 secret_read"}},
		{"nested quotes", `x = f"{d['k']} {jwt.decode(t)}"`, []string{"3:17 jwt_operation"}},
		{"nested f-string", `x = f"{f'{jwt.decode(t)}'}"`, []string{"3:11 jwt_operation"}},
		{"comparison in field", `x = f"{a != b} {jwt.decode(t)}"`, []string{"3:17 jwt_operation"}},
		{"escaped braces", `x = f"{{jwt.decode(t)}} {{settings.JWT_SECRET}}"`, nil},
		{"text only", `x = f"jwt.decode(t) and settings.JWT_SECRET"`, nil},
		{"named unicode escape", `x = f"\N{BULLET} {jwt.decode(t)}"`, []string{"3:19 jwt_operation"}},
		{"t-string", `x = t"{jwt.decode(t)}"`, []string{"3:8 jwt_operation"}},
		{"plain string with braces", `x = "{settings.JWT_SECRET}"`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := scanSource(t, "a.py", head+tc.line+"\n", "")
			got = slices.DeleteFunc(got, func(s string) bool { return strings.HasPrefix(s, "1:") })
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s\n got %q, want %q", tc.line, got, tc.want)
			}
		})
	}
	// Lines stay exact across multi-line and unterminated f-strings.
	src := head + "x = f\"\"\"\n{jwt.decode(t)}\n\"\"\"\ny = f'{jwt.decode(t)\nz = jwt.encode(p)\n"
	want := []string{"1:8 jwt_import", "4:2 jwt_operation", "6:8 jwt_operation", "7:5 jwt_operation"}
	if got := scanSource(t, "a.py", src, ""); !slices.Equal(got, want) {
		t.Errorf("multi-line: got %q, want %q", got, want)
	}
}

// TestSecrets: a read of the secret is medium confidence; a mention —
// import, definition, parameter, decorator, comparison, list, keyword
// value — is low and hidden by default.
func TestSecrets(t *testing.T) {
	tests := []struct {
		name, file, src string
		read            bool // a secret_read, else a secret_mention
	}{
		{"py environ subscript", "a.py", `k = os.environ["JWT_SECRET"]`, true},
		{"py getenv", "a.py", `k = os.getenv("JWT_SECRET_KEY")`, true},
		{"py environ get", "a.py", `k = os.environ.get("JWT_SECRET", "")`, true},
		{"py settings attribute", "a.py", `k = settings.JWT_SECRET_KEY`, true},
		{"py config subscript", "a.py", `k = app.config["JWT_SECRET_KEY"]`, true},
		{"py getter call", "a.py", `k = get_jwt_secret()`, true},
		{"py getattr", "a.py", `k = getattr(settings, "JWT_SECRET")`, true},
		{"py decouple", "a.py", `k = config("JWT_SECRET")`, true},
		{"py secret value", "a.py", `k = settings.jwt_secret.get_secret_value()`, true},
		{"py import", "a.py", `from x.jwt_secret_manager import get_jwt_secret`, false},
		{"py class", "a.py", "class JwtSecretDriftMonitor:\n    pass", false},
		{"py def", "a.py", "def get_jwt_secret():\n    return 1", false},
		{"py parameter", "a.py", "def f(jwt_secret: str):\n    return 1", false},
		{"py decorator", "a.py", "@field_validator('jwt_secret')\ndef f(cls, v):\n    return v", false},
		{"py startswith", "a.py", `ok = name.startswith('JWT_SECRET')`, false},
		{"py comparison", "a.py", `ok = name == "JWT_SECRET"`, false},
		{"py list", "a.py", `REDACT = ["password", "jwt_secret"]`, false},
		{"py keyword value", "a.py", `audit(action_id="update_jwt_secret")`, false},
		{"py store", "a.py", `os.environ["JWT_SECRET"] = "x"`, false},
		{"py self attribute", "a.py", `k = self.jwt_secret`, false},
		{"py not the secret", "a.py", `n = settings.JWT_SECRET_ROTATION_DAYS`, false},
		{"py rotate call", "a.py", `rotate_jwt_secret()`, false},
		{"go getenv", "a.go", "package a\nvar k = os.Getenv(\"JWT_SECRET\")", true},
		{"go lookupenv", "a.go", "package a\nvar k, ok = os.LookupEnv(\"JWT_SECRET\")", true},
		{"go field read", "a.go", "package a\nfunc f(c Config) string { return c.JWTSecret }", true},
		{"go viper", "a.go", "package a\nvar k = viper.GetString(\"auth.jwt_secret\")", true},
		{"go field declaration", "a.go", "package a\ntype C struct {\n\tJWTSecret string `json:\"jwt_secret\"`\n}", false},
		{"go field store", "a.go", "package a\nfunc f(c *Config) { c.JWTSecret = \"x\" }", false},
		{"js process env", "a.js", `const k = process.env.JWT_SECRET;`, true},
		{"js process env subscript", "a.js", `const k = process.env['JWT_SECRET'];`, true},
		{"js destructuring", "a.js", `const { JWT_SECRET } = process.env;`, true},
		{"js destructuring renamed", "a.js", `const { JWT_SECRET: key } = process.env;`, true},
		{"js config attribute", "a.js", `const k = config.jwtSecret;`, true},
		{"js object key", "a.js", `const o = { jwtSecret: x };`, false},
		{"js this attribute", "a.js", `class A { f() { return this.jwtSecret; } }`, false},
		{"ts interface member", "a.ts", "interface C {\n  jwtSecret: string;\n}", false},
		{"ts parameter destructuring", "a.ts", `function f({ jwtSecret }: C) { return 1; }`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := scanSource(t, tc.file, tc.src+"\n", ConfidenceLow)
			want := "secret_mention"
			if tc.read {
				want = "secret_read"
			}
			if len(got) != 1 || !strings.HasSuffix(got[0], " "+want) {
				t.Errorf("%s\n got %q, want one %s", tc.src, got, want)
			}
			if def := scanSource(t, tc.file, tc.src+"\n", ""); !tc.read && len(def) != 0 {
				t.Errorf("a mention is reported at the default confidence: %q", def)
			}
		})
	}
}

// TestShadowing: a name the file binds to a JWT import stops being the
// library where a function binds it again.
func TestShadowing(t *testing.T) {
	tests := []struct {
		name, file, src string
		want            []string
	}{
		{"py local", "a.py", "import jwt\ndef f(r):\n    jwt = r.content\n    return jwt.decode('utf-8')\n", []string{"1:8 jwt_import"}},
		{"py parameter", "a.py", "import jwt\ndef f(jwt: bytes):\n    return jwt.decode()\n", []string{"1:8 jwt_import"}},
		{"py for", "a.py", "import jwt\ndef f(xs):\n    for jwt in xs:\n        jwt.decode()\n", []string{"1:8 jwt_import"}},
		{"py with as", "a.py", "import jwt\ndef f(p):\n    with open(p) as jwt:\n        jwt.decode()\n", []string{"1:8 jwt_import"}},
		{"py use before local", "a.py", "import jwt\ndef f(t):\n    c = jwt.decode(t)\n    jwt = 1\n    return c\n",
			[]string{"1:8 jwt_import", "2:5 duplicate_validator", "3:9 jwt_operation"}},
		{"py other function", "a.py", "import jwt\ndef f(jwt):\n    return jwt.decode()\ndef g(t):\n    return jwt.decode(t)\n",
			[]string{"1:8 jwt_import", "4:5 duplicate_validator", "5:12 jwt_operation"}},
		{"go local", "a.go", "package a\nimport \"github.com/golang-jwt/jwt/v5\"\nfunc f(s S) error {\n\tjwt := s\n\treturn jwt.Parse()\n}\n", []string{"2:8 jwt_import"}},
		{"go parameter", "a.go", "package a\nimport \"github.com/golang-jwt/jwt/v5\"\nfunc f(jwt S, t *jwt.Token) error { return jwt.Parse() }\n", []string{"2:8 jwt_import"}},
		{"js local", "a.js", "const jwt = require('jsonwebtoken');\nfunction f(b) {\n  const jwt = Buffer.from(b);\n  return jwt.decode();\n}\n", []string{"1:21 jwt_import"}},
		{"js parameter", "a.js", "const jwt = require('jsonwebtoken');\nconst f = (x, jwt) => jwt.decode();\n", []string{"1:21 jwt_import"}},
		{"ts typed parameter", "a.ts", "import * as jwt from 'jsonwebtoken';\nexport function f(jwt: Uint8Array) { return jwt.decode(); }\n", []string{"1:22 jwt_import"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := scanSource(t, tc.file, tc.src, ""); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestValidators: by behaviour, across files and languages.
func TestValidators(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		conf  Confidence
		want  []string
	}{
		{"decodes", map[string]string{
			"a.py": "import jwt\ndef check(t):\n    return jwt.decode(t, k)\n",
		}, "", []string{"a.py:1:8 jwt_import", "a.py:2:5 duplicate_validator", "a.py:3:12 jwt_operation"}},
		{"signing is not validating", map[string]string{
			"a.py": "import jwt\ndef issue(p):\n    return jwt.encode(p, k)\n",
		}, "", []string{"a.py:1:8 jwt_import", "a.py:3:12 jwt_operation"}},
		{"wrapper in another file", map[string]string{
			"a.py": "import jwt\ndef decode_access(t):\n    return jwt.decode(t, k)\n",
			"b.py": "from a import decode_access\ndef claims(t):\n    return decode_access(t)\n",
		}, "", []string{"a.py:1:8 jwt_import", "a.py:2:5 duplicate_validator", "a.py:3:12 jwt_operation", "b.py:2:5 duplicate_validator"}},
		{"wrapper of an ambiguous name is not one", map[string]string{
			"a.py": "import jwt\ndef verify(t):\n    return jwt.decode(t, k)\n",
			"b.py": "def verify(t):\n    return t == 'ok'\n",
			"c.py": "def claims(t):\n    return verify(t)\n",
		}, "", []string{"a.py:1:8 jwt_import", "a.py:2:5 duplicate_validator", "a.py:3:12 jwt_operation"}},
		{"same name across languages", map[string]string{
			"a.py": "import jwt\ndef validate_token(t):\n    return jwt.decode(t, k)\n",
			"b.ts": "import { jwtVerify } from 'jose';\nexport async function validateToken(t: string) { return jwtVerify(t, k); }\n",
			"c.go": "package c\nimport \"github.com/golang-jwt/jwt/v5\"\nfunc ValidateToken(s string) { jwt.Parse(s, nil) }\n",
		}, ConfidenceHigh, []string{"a.py:1:8 jwt_import", "a.py:2:5 duplicate_validator", "a.py:3:12 jwt_operation",
			"b.ts:1:27 jwt_import", "b.ts:2:23 duplicate_validator", "b.ts:2:57 jwt_operation",
			"c.go:2:8 jwt_import", "c.go:3:6 duplicate_validator", "c.go:3:32 jwt_operation"}},
		{"http client is sanctioned", map[string]string{
			"a.py": "import httpx\ndef validate_token(t):\n    return httpx.post(f'{AUTH}/auth/validate', json={'t': t}).json()\n",
		}, ConfidenceLow, nil},
		{"hand-rolled HMAC check", map[string]string{
			"a.js": "const crypto = require('crypto');\nfunction check(t) {\n  const [h, p, s] = t.split('.');\n  return crypto.createHmac('sha256', k).update(h + '.' + p).digest('base64url') === s;\n}\n",
		}, "", []string{"a.js:2:10 duplicate_validator"}},
		{"name only is low", map[string]string{
			"a.py": "def verify_token(t):\n    return t in PENDING\n",
		}, ConfidenceLow, []string{"a.py:1:5 validator_name"}},
		{"pydantic field validator", map[string]string{
			"a.py": "class M(BaseModel):\n    @field_validator('refresh_token')\n    @classmethod\n    def validate_refresh_token(cls, v):\n        return v\n",
		}, ConfidenceLow, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, tc.files)
			checkFindings(t, scanOK(t, []string{dir}, Options{Root: dir, MinConfidence: tc.conf}), tc.want)
		})
	}
	// Every site is listed, however many.
	files := map[string]string{}
	for i := range 13 {
		files[fmt.Sprintf("m%02d/t.py", i)] = "import jwt\ndef validate_token_jwt(t):\n    return jwt.decode(t, k)\n"
	}
	dir := writeTree(t, files)
	r := scanOK(t, []string{dir}, Options{Root: dir, MinConfidence: ConfidenceHigh})
	for _, f := range r.Findings {
		if f.Rule != RuleDuplicateValidator {
			continue
		}
		if !strings.Contains(f.Message, "defined in 13 places") || strings.Count(f.Message, "/t.py:2") != 13 || len(f.Related) != 12 {
			t.Errorf("%s: %s (%d related)", loc(f), f.Message, len(f.Related))
		}
	}
}

func TestPaths(t *testing.T) {
	tree := map[string]string{
		"backend/app.py":                          "import jwt\n",
		"backend/auth_service/svc.py":             "import jwt\n",
		"services/auth_service/api/svc.py":        "import jwt\n",
		"backend/test_framework/mocks.py":         "import jwt\n",
		"backend/tests/test_x.py":                 "import jwt\n",
		"backend/integration/flows.py":            "import jwt\n",
		"backend/api/test_api.py":                 "import jwt\n",
		"backup_2024/backend/app.py":              "import jwt\n",
		"web/node_modules/jose/index.js":          "require('jose')\n",
		"web/dist/app.min.js":                     "require('jose')\n",
		"web/src/gen.pb.go":                       "package gen\nimport \"github.com/golang-jwt/jwt/v5\"\n",
		"web/src/header.go":                       "// Code generated by x. DO NOT EDIT.\npackage gen\nimport \"github.com/golang-jwt/jwt/v5\"\n",
		"web/src/app.ts":                          "import 'jose';\n",
		".git/hooks/pre-commit.py":                "import jwt\n",
		"notes.txt":                               "import jwt\n",
		"backend/big.py":                          "import jwt\n" + strings.Repeat("#", MaxFileSize),
		"backend/auth_service_client/client.py":   "x = 1\n",
		"backend/app.backup/app.py":               "import jwt\n",
		"backend/integration_tests/test_flows.py": "import jwt\n",
	}
	dir := writeTree(t, tree)
	tests := []struct {
		name  string
		opts  Options
		paths []string
		want  []string
		files FileCounts
	}{
		{"auth at any depth", Options{AuthPaths: []string{"**/auth_service/**"}}, []string{"."},
			[]string{"backend/app.py:1:8 jwt_import", "backend/integration/flows.py:1:8 jwt_import", "web/src/app.ts:1:8 jwt_import"},
			FileCounts{Scanned: 4, Tests: 4, Auth: 2, Vendored: 6, TooLarge: 1}},
		{"absolute pattern", Options{AuthPaths: []string{filepath.Join(dir, "backend", "auth_service")}}, []string{"backend"},
			[]string{"backend/app.py:1:8 jwt_import", "backend/integration/flows.py:1:8 jwt_import"},
			FileCounts{Scanned: 3, Tests: 4, Auth: 1, Vendored: 1, TooLarge: 1}},
		{"test path", Options{AuthPaths: []string{"**/auth_service/**"}, TestPaths: []string{"backend/integration/**"}}, []string{"backend"},
			[]string{"backend/app.py:1:8 jwt_import"},
			FileCounts{Scanned: 2, Tests: 5, Auth: 1, Vendored: 1, TooLarge: 1}},
		{"include tests", Options{AuthPaths: []string{"**/auth_service/**"}, IncludeTests: true}, []string{"backend"},
			[]string{"backend/api/test_api.py:1:8 jwt_import", "backend/app.py:1:8 jwt_import", "backend/integration/flows.py:1:8 jwt_import",
				"backend/integration_tests/test_flows.py:1:8 jwt_import", "backend/test_framework/mocks.py:1:8 jwt_import", "backend/tests/test_x.py:1:8 jwt_import"},
			FileCounts{Scanned: 7, Auth: 1, Vendored: 1, TooLarge: 1}},
		{"a scanned file named on its own", Options{}, []string{"backend/tests/test_x.py"},
			[]string{"backend/tests/test_x.py:1:8 jwt_import"}, FileCounts{Scanned: 1}},
		{"pattern matching elsewhere in the repository", Options{AuthPaths: []string{"services/auth_service/**"}}, []string{"web/src"},
			[]string{"web/src/app.ts:1:8 jwt_import"}, FileCounts{Scanned: 1, Vendored: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Root = dir
			var paths []string
			for _, p := range tc.paths {
				paths = append(paths, filepath.Join(dir, p))
			}
			r := scanOK(t, paths, tc.opts)
			checkFindings(t, r, tc.want)
			if r.Files != tc.files {
				t.Errorf("files %+v, want %+v", r.Files, tc.files)
			}
		})
	}
}

func TestPathErrors(t *testing.T) {
	dir := writeTree(t, map[string]string{"backend/app.py": "x = 1\n", "auth/svc.py": "x = 1\n"})
	other := t.TempDir()
	tests := []struct {
		name  string
		paths []string
		opts  Options
		want  string
	}{
		{"pattern matches nothing", []string{dir}, Options{AuthPaths: []string{"auth_service/**"}}, `auth path pattern "auth_service/**" matches no file`},
		{"test pattern matches nothing", []string{dir}, Options{TestPaths: []string{"qa/**"}}, `test path pattern "qa/**" matches no file`},
		{"bad glob", []string{dir}, Options{AuthPaths: []string{"auth/["}}, `auth path pattern "auth/[" is not a valid glob`},
		{"absolute pattern outside the root", []string{dir}, Options{AuthPaths: []string{other}}, "is outside the repository root"},
		{"relative pattern outside the root", []string{dir}, Options{AuthPaths: []string{"../x/**"}}, "is outside the repository root"},
		{"path outside the root", []string{other}, Options{}, "outside the repository root"},
		{"missing path", []string{filepath.Join(dir, "nope")}, Options{}, "nope"},
		{"bad confidence", []string{dir}, Options{MinConfidence: "sure"}, `unknown confidence "sure"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Root == "" {
				tc.opts.Root = dir
			}
			_, err := Scan(context.Background(), tc.paths, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(tc.name, "pattern") {
				var pe *PatternError
				if !errors.As(err, &pe) {
					t.Errorf("err %T is not a *PatternError", err)
				}
			}
		})
	}
}

func TestFindRoot(t *testing.T) {
	dir := writeTree(t, map[string]string{"repo/.git/HEAD": "ref: x\n", "repo/a/b/c.py": "x = 1\n", "plain/d.py": "x = 1\n"})
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"repo/a/b", "repo/a/b/c.py", "repo"} {
		got, err := FindRoot(filepath.Join(dir, p))
		if err != nil || got != filepath.Join(real, "repo") {
			t.Errorf("FindRoot(%s) = %q, %v; want the repo", p, got, err)
		}
	}
	wd, _ := os.Getwd()
	wd, _ = filepath.EvalSymlinks(wd)
	if got, err := FindRoot(filepath.Join(dir, "plain")); err != nil || got != wd && !strings.HasPrefix(got, filepath.Dir(wd)) {
		// Outside a repository the root is the current directory, unless
		// the temp dir happens to sit in a repository.
		t.Errorf("FindRoot(plain) = %q, %v", got, err)
	}
}

func TestErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Scan(ctx, []string{"testdata"}, Options{Root: "testdata"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, want context.Canceled", err)
	}
	if _, err := Scan(context.Background(), nil, Options{}); err == nil {
		t.Error("no paths: no error")
	}
	_, err := Scan(context.Background(), []string{"testdata/python", "testdata/no-such-dir"}, Options{Root: "testdata"})
	if err == nil || !strings.Contains(err.Error(), "no-such-dir") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing path: err = %v, want one naming it and wrapping ErrNotExist", err)
	}
}

func TestSnippet(t *testing.T) {
	tok := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	tests := []struct{ line, want string }{
		{`  x = decode("` + tok + `")  `, `x = decode("eyJ…[redacted]")`},
		{`k = "3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA9ZkL" # jwt_secret`, `k = "3q2+…[redacted]" # jwt_secret`},
		{`import "github.com/golang-jwt/jwt/v5"`, `import "github.com/golang-jwt/jwt/v5"`},
		{strings.Repeat("ab ", 60), strings.Repeat("ab ", 39) + "ab…"},
	}
	for _, tc := range tests {
		got := makeSnippet(tc.line, 2)
		if got != tc.want {
			t.Errorf("makeSnippet(%q) = %q, want %q", tc.line, got, tc.want)
		}
		if n := len([]rune(got)); n > maxSnippet {
			t.Errorf("snippet has %d runes", n)
		}
	}
}

// goldenRun is the scan behind the golden files: the whole labelled
// corpus at low confidence, so every rule appears, with the root shown as
// /repo so that the files do not depend on where the repository lives.
func goldenRun(t *testing.T) Result {
	t.Helper()
	r := scanOK(t, []string{"testdata"}, corpusOpts(ConfidenceLow))
	r.Root = "/repo"
	return r
}

func TestGolden(t *testing.T) {
	r := goldenRun(t)
	for _, g := range []struct {
		file  string
		write func(*bytes.Buffer, Result) error
	}{
		{"scan.txt", func(b *bytes.Buffer, r Result) error { return WriteText(b, r, TextOptions{Limit: 3}) }},
		{"scan.json", func(b *bytes.Buffer, r Result) error { return WriteJSON(b, r) }},
		{"scan.sarif", func(b *bytes.Buffer, r Result) error { return WriteSARIF(b, r) }},
	} {
		t.Run(g.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := g.write(&buf, r); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", g.file)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from the golden file (check, then go test -update): %s", g.file, firstDiff(buf.String(), string(want)))
			}
		})
	}
}

// firstDiff describes the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q", i+1, gl, wl)
		}
	}
	return "no line differs"
}

func TestDeterministic(t *testing.T) {
	var first bytes.Buffer
	for i := range 5 {
		var buf bytes.Buffer
		if err := WriteJSON(&buf, goldenRun(t)); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = buf
		} else if !bytes.Equal(first.Bytes(), buf.Bytes()) {
			t.Fatal("output differs between runs")
		}
	}
}

func TestJSONEmpty(t *testing.T) {
	var buf bytes.Buffer
	dir := writeTree(t, map[string]string{"a.py": "x = 1\n"})
	r := scanOK(t, []string{dir}, Options{Root: dir})
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["schema_version"] != float64(2) || doc["min_confidence"] != "medium" {
		t.Errorf("schema_version = %v, min_confidence = %v", doc["schema_version"], doc["min_confidence"])
	}
	if f, ok := doc["findings"].([]any); !ok || len(f) != 0 {
		t.Errorf("findings = %v, want []", doc["findings"])
	}
	if strings.Contains(buf.String(), dir) {
		t.Error("the JSON report holds an absolute path")
	}
}

// TestTextLimit: findings are grouped by rule and directory with counts,
// and --limit cuts each group.
func TestTextLimit(t *testing.T) {
	files := map[string]string{}
	for i := range 5 {
		files[fmt.Sprintf("svc/m%d.py", i)] = "import jwt\n"
	}
	files["lib/x.py"] = "import jwt\n"
	dir := writeTree(t, files)
	r := scanOK(t, []string{dir}, Options{Root: dir})
	var buf bytes.Buffer
	if err := WriteText(&buf, r, TextOptions{Limit: 2}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"gpcheck scan: 6 findings in 6 files (confidence medium and above)",
		"scanned 6 files (6 lines); skipped 0 test, 0 auth and 0 vendored or generated files",
		"jwt_import: 6 findings in 6 files\n  lib/ (1)\n    lib/x.py:1:8 JWT library import: jwt (PyJWT)\n  svc/ (5)\n    svc/m0.py:1:8",
		"    … 3 more in svc/ (--limit 0 lists all)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	buf.Reset()
	if err := WriteText(&buf, r, TextOptions{}); err != nil || strings.Contains(buf.String(), "more in") {
		t.Errorf("no limit: %v\n%s", err, buf.String())
	}
}

func TestSARIFStructure(t *testing.T) {
	r := goldenRun(t)
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, r); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			OriginalURIBaseIDs map[string]struct {
				URI string `json:"uri"`
			} `json:"originalUriBaseIds"`
			Tool struct {
				Driver struct {
					Rules []struct {
						ID                   string `json:"id"`
						DefaultConfiguration struct {
							Level string `json:"level"`
						} `json:"defaultConfiguration"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID              string            `json:"ruleId"`
				RuleIndex           int               `json:"ruleIndex"`
				Level               string            `json:"level"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
				Locations           []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI       string `json:"uri"`
							URIBaseID string `json:"uriBaseId"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if run.OriginalURIBaseIDs[srcRoot].URI != "file:///repo/" {
		t.Errorf("originalUriBaseIds = %v", run.OriginalURIBaseIDs)
	}
	var ids []string
	for _, rule := range run.Tool.Driver.Rules {
		ids = append(ids, rule.ID)
		if rule.DefaultConfiguration.Level != ruleConfidence(Rule(rule.ID)).Level() {
			t.Errorf("rule %s: level %s", rule.ID, rule.DefaultConfiguration.Level)
		}
	}
	if want := []string{"jwt_import", "jwt_operation", "secret_read", "duplicate_validator", "validator_name", "secret_mention"}; !slices.Equal(ids, want) {
		t.Errorf("rules %v, want %v", ids, want)
	}
	levels := map[string]bool{}
	seen := map[string]bool{}
	for i, res := range run.Results {
		f := r.Findings[i]
		levels[res.Level] = true
		fp := res.PartialFingerprints[fingerprintKey]
		if res.RuleID != string(f.Rule) || ids[res.RuleIndex] != res.RuleID || res.Level != f.Confidence.Level() || fp != f.Fingerprint || seen[fp] {
			t.Errorf("result %d: %+v for %s", i, res, loc(f))
		}
		seen[fp] = true
		al := res.Locations[0].PhysicalLocation.ArtifactLocation
		if al.URI != f.Path || al.URIBaseID != srcRoot {
			t.Errorf("result %d: artifact %+v", i, al)
		}
	}
	if !levels["error"] || !levels["warning"] || !levels["note"] {
		t.Errorf("levels %v: want error, warning and note", levels)
	}
}

func TestRelativeURI(t *testing.T) {
	for in, want := range map[string]string{
		"a/b.py":   "a/b.py",
		"a b/c.py": "a%20b/c.py",
		"c:d/e.py": "./c:d/e.py",
		"ü/x.go":   "%C3%BC/x.go",
	} {
		if got := relativeURI(in); got != want {
			t.Errorf("relativeURI(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"/repo": "file:///repo/", "/a b/": "file:///a%20b/", "C:/w": "file:///C:/w/"} {
		if got := fileURI(in); got != want {
			t.Errorf("fileURI(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFixtures holds the repository's own reference services to the rule
// the scanner enforces: with the auth service excluded, no JWT code. The
// root is the repository's (FindRoot), so the auth path names fixtures/.
func TestFixtures(t *testing.T) {
	root := filepath.Join("..", "..", "fixtures")
	r := scanOK(t, []string{root}, Options{AuthPaths: []string{"fixtures/auth/**"}, MinConfidence: ConfidenceLow})
	if r.Files.Scanned == 0 || r.Files.Auth == 0 {
		t.Fatalf("files %+v: scanned none of fixtures/, or none as auth", r.Files)
	}
	for _, f := range r.Findings {
		t.Errorf("JWT code outside fixtures/auth: %s:%d:%d %s %s", f.Path, f.Line, f.Column, f.Rule, f.Message)
	}
}

func TestSymlinkedRoot(t *testing.T) {
	dir := writeTree(t, map[string]string{"real/a.py": "import jwt\n"})
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "real"), link); err != nil {
		t.Skipf("this file system cannot make symlinks, so there is nothing to follow (%v); the test runs on any file system that can, as on Linux CI", err)
	}
	checkFindings(t, scanOK(t, []string{link}, Options{Root: link}), []string{"a.py:1:8 jwt_import"})
}
