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

type counts map[Category][2]int // category -> {files, occurrences}

// loc renders a finding as "path:line:col category".
func loc(f Finding) string {
	return fmt.Sprintf("%s:%d:%d %s", f.Path, f.Line, f.Column, f.Category)
}

func scanOK(t *testing.T, roots []string, opts Options) Result {
	t.Helper()
	r, err := Scan(context.Background(), roots, opts)
	if err != nil {
		t.Fatalf("Scan(%v): %v", roots, err)
	}
	return r
}

func checkCounts(t *testing.T, r Result, want counts) {
	t.Helper()
	for _, c := range categories {
		got := r.ByCategory[c]
		w := want[c]
		if got.Files != w[0] || got.Occurrences != w[1] {
			t.Errorf("%s: files=%d occurrences=%d, want files=%d occurrences=%d", c, got.Files, got.Occurrences, w[0], w[1])
		}
	}
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

var (
	pyFindings = []string{
		"app/config.py:4:1 secret_access",     // JWT_SECRET_KEY = os.getenv("JWT_SECRET_KEY"): one per line
		"app/config.py:6:23 secret_access",    // setdefault("JWT_SECRET", "<a JWT>")
		"app/config.py:10:21 secret_access",   // settings.JWT_SECRET
		"app/config.py:17:7 secret_access",    // get_jwt_secret() call; its def does not count
		"app/handlers.py:6:8 jwt_import",      // import jwt
		"app/handlers.py:7:8 jwt_import",      // import jwt as pyjwt
		"app/handlers.py:8:6 jwt_import",      // from jose import jwt as jose_jwt
		"app/handlers.py:9:6 jwt_import",      // from authlib.jose import ...
		"app/handlers.py:13:21 secret_access", // os.environ["JWT_SECRET"]
		"app/handlers.py:19:14 jwt_operation", // jwt.decode(
		"app/handlers.py:20:13 jwt_operation", // pyjwt.encode( (alias)
		"app/handlers.py:21:9 jwt_operation",  // jose_jwt.decode( (alias)
		"app/validators.py:1:8 jwt_import",    // import jose
		"app/validators.py:4:5 duplicate_validator",
		"app/validators.py:5:12 jwt_operation", // jose.jwt.decode(
		"services/worker.py:1:5 duplicate_validator",
	}
	pyTestFindings = []string{
		"conftest.py:1:6 jwt_import",          // from jwt import decode
		"conftest.py:5:12 jwt_operation",      // decode( bound by the import
		"tests/test_tokens.py:2:8 jwt_import", // import jwt
		"tests/test_tokens.py:6:11 jwt_operation",
		"tests/test_tokens.py:6:47 secret_access",
	}
	goFindings = []string{
		"api/server.go:8:2 jwt_import",      // github.com/golang-jwt/jwt/v5 in an import block
		"api/server.go:14:24 secret_access", // os.Getenv("JWT_SECRET")
		"api/server.go:24:14 jwt_operation", // jwt.ParseWithClaims(
		"api/server.go:28:7 jwt_operation",  // jwt.NewWithClaims(
		"api/server.go:29:9 jwt_operation",  // t.SignedString(
		"api/server.go:35:6 duplicate_validator",
		"api/server.go:36:12 jwt_operation",        // jwt.Parse(
		"legacy/old.go:3:8 jwt_import",             // import "github.com/dgrijalva/jwt-go"
		"worker/jobs.go:4:7 jwt_import",            // jose "github.com/go-jose/go-jose/v4"
		"worker/jobs.go:5:8 jwt_import",            // gojwt "github.com/golang-jwt/jwt/v4"
		"worker/jobs.go:6:4 jwt_import",            // _ "github.com/lestrrat-go/jwx/v2/jwt"
		"worker/jobs.go:11:2 secret_access",        // JWTSecret field with `json:"jwt_secret"` tag: one per line
		"worker/jobs.go:18:15 duplicate_validator", // method (j *Job) ValidateToken
		"worker/jobs.go:19:12 jwt_operation",       // gojwt.Parse( (alias)
		"worker/jobs.go:25:12 jwt_operation",       // jose.ParseSigned(
		"worker/jobs.go:30:41 secret_access",       // c.JWTSecret
	}
	goTestFindings = []string{
		"api/server_test.go:7:2 jwt_import",
		"api/server_test.go:11:12 jwt_operation",
		"api/server_test.go:11:71 jwt_operation",
		"api/server_test.go:11:101 secret_access",
	}
	jsFindings = []string{
		"src/api.js:3:21 jwt_import",     // require('jsonwebtoken')
		"src/api.js:4:31 jwt_import",     // require('jwt-decode')
		"src/api.js:6:28 secret_access",  // process.env.JWT_SECRET
		"src/api.js:10:18 jwt_operation", // jwt.verify(
		"src/api.js:11:19 jwt_operation", // jwtDecode(
		"src/api.js:14:28 jwt_operation", // jwt.sign( inside a template ${...}
		"src/api.js:17:16 duplicate_validator",
		"src/api.js:18:10 jwt_operation",
		"src/middleware.js:1:36 jwt_import",         // import { verify as checkSig } from
		"src/middleware.js:3:27 jwt_import",         // await import('jose')
		"src/middleware.js:5:7 duplicate_validator", // const validateToken = async (token) =>
		"src/middleware.js:6:10 jwt_operation",      // checkSig( bound to verify
		"src/middleware.js:10:10 jwt_operation",     // lazy.decodeJwt(
		"src/middleware.js:13:15 secret_access",     // { jwtSecret: ... }
		"src/middleware.js:14:17 secret_access",     // "JWT_SECRET"
	}
	jsTestFindings = []string{
		"src/__tests__/api.test.js:1:21 jwt_import",
		"src/__tests__/api.test.js:4:10 jwt_operation",
		"src/__tests__/api.test.js:4:35 secret_access",
	}
	tsFindings = []string{
		"src/client.ts:7:17 duplicate_validator", // the implementation, not the overloads
		"src/gateway.ts:1:23 jwt_import",         // import * as jose from 'jose'
		"src/gateway.ts:2:33 jwt_import",         // import type { ... } from 'jsonwebtoken'
		"src/gateway.ts:3:36 jwt_import",
		"src/gateway.ts:5:7 secret_access",
		"src/gateway.ts:13:9 duplicate_validator", // class method, not the interface member
		"src/gateway.ts:14:31 jwt_operation",      // jwtVerify(
		"src/gateway.ts:18:46 jwt_operation",      // jose.decodeJwt(
		"src/gateway.ts:21:12 jwt_operation",      // new SignJWT(
		"src/gateway.ts:26:35 secret_access",
	}
	tsTestFindings = []string{
		"src/gateway.spec.ts:1:27 jwt_import",
		"src/gateway.spec.ts:4:10 jwt_operation",
	}
)

func merged(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.SortStableFunc(out, func(x, y string) int {
		px, py := strings.Split(strings.Fields(x)[0], ":"), strings.Split(strings.Fields(y)[0], ":")
		if px[0] != py[0] {
			return strings.Compare(px[0], py[0])
		}
		var lx, cx, ly, cy int
		fmt.Sscan(px[1], &lx)
		fmt.Sscan(px[2], &cx)
		fmt.Sscan(py[1], &ly)
		fmt.Sscan(py[2], &cy)
		if lx != ly {
			return lx - ly
		}
		return cx - cy
	})
	return out
}

func TestScanSamples(t *testing.T) {
	tests := []struct {
		name         string
		root         string
		includeTests bool
		files, lines int
		want         []string
		counts       counts
	}{
		{"python", "testdata/python", false, 4, 69, pyFindings, counts{
			CategoryJWTImport: {2, 5}, CategoryJWTOperation: {2, 4}, CategorySecretAccess: {2, 5}, CategoryDuplicateValidator: {2, 2}}},
		{"python+tests", "testdata/python", true, 6, 81, merged(pyFindings, pyTestFindings), counts{
			CategoryJWTImport: {4, 7}, CategoryJWTOperation: {4, 6}, CategorySecretAccess: {3, 6}, CategoryDuplicateValidator: {2, 2}}},
		{"go", "testdata/go", false, 3, 76, goFindings, counts{
			CategoryJWTImport: {3, 5}, CategoryJWTOperation: {2, 6}, CategorySecretAccess: {2, 3}, CategoryDuplicateValidator: {2, 2}}},
		{"go+tests", "testdata/go", true, 4, 89, merged(goFindings, goTestFindings), counts{
			CategoryJWTImport: {4, 6}, CategoryJWTOperation: {3, 8}, CategorySecretAccess: {3, 4}, CategoryDuplicateValidator: {2, 2}}},
		{"js", "testdata/js", false, 2, 39, jsFindings, counts{
			CategoryJWTImport: {2, 4}, CategoryJWTOperation: {2, 6}, CategorySecretAccess: {2, 3}, CategoryDuplicateValidator: {2, 2}}},
		{"js+tests", "testdata/js", true, 3, 44, merged(jsFindings, jsTestFindings), counts{
			CategoryJWTImport: {3, 5}, CategoryJWTOperation: {3, 7}, CategorySecretAccess: {3, 4}, CategoryDuplicateValidator: {2, 2}}},
		{"ts", "testdata/ts", false, 2, 38, tsFindings, counts{
			CategoryJWTImport: {1, 3}, CategoryJWTOperation: {1, 3}, CategorySecretAccess: {1, 2}, CategoryDuplicateValidator: {2, 2}}},
		{"ts+tests", "testdata/ts", true, 3, 43, merged(tsFindings, tsTestFindings), counts{
			CategoryJWTImport: {2, 4}, CategoryJWTOperation: {2, 4}, CategorySecretAccess: {1, 2}, CategoryDuplicateValidator: {2, 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := scanOK(t, []string{tc.root}, Options{AuthPaths: []string{"auth/**"}, IncludeTests: tc.includeTests})
			checkFindings(t, r, tc.want)
			checkCounts(t, r, tc.counts)
			if r.FilesScanned != tc.files || r.LinesScanned != tc.lines {
				t.Errorf("scanned %d files, %d lines; want %d, %d", r.FilesScanned, r.LinesScanned, tc.files, tc.lines)
			}
			for _, f := range r.Findings {
				if strings.HasPrefix(f.Path, "auth/") || strings.Contains(f.Path, "node_modules") {
					t.Errorf("finding in an excluded path: %s", loc(f))
				}
			}
		})
	}
}

// TestAuthPathsOff shows that the auth samples are JWT code: without
// AuthPaths they are reported.
func TestAuthPathsOff(t *testing.T) {
	for _, root := range []string{"testdata/python", "testdata/go", "testdata/js", "testdata/ts"} {
		r := scanOK(t, []string{root}, Options{})
		n := 0
		for _, f := range r.Findings {
			if strings.HasPrefix(f.Path, "auth/") {
				n++
			}
		}
		if n == 0 {
			t.Errorf("%s: no findings under auth/ without AuthPaths", root)
		}
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

// TestLexing checks single snippets: decoys must produce nothing, real
// code exactly the listed findings.
func TestLexing(t *testing.T) {
	tests := []struct {
		name, file, src string
		want            []string // "line:col category"
	}{
		{"py hash in string", "a.py", "s = '# not a comment'; jwt.decode(t)\n", []string{"1:24 jwt_operation"}},
		{"py comment", "a.py", "x = 1  # jwt.decode(t) os.environ['JWT_SECRET']\n", nil},
		{"py docstring", "a.py", "def f():\n    \"\"\"JWT_SECRET jwt.decode(t)\"\"\"\n    return 1\n", nil},
		{"py module docstring word", "a.py", "'JWT_SECRET'\nx = 1\n", nil},
		{"py one-line def docstring", "a.py", "def f(): 'JWT_SECRET'\n", nil},
		{"py triple string value", "a.py", "q = \"\"\"\njwt.decode(t)\n\"\"\"\nk = 'JWT_SECRET'\n", []string{"4:5 secret_access"}},
		{"py dict value string", "a.py", "d = {'a': 'JWT_SECRET'}\n", []string{"1:11 secret_access"}},
		{"py string with spaces", "a.py", "raise KeyError('JWT_SECRET is not set')\n", nil},
		{"py escaped quote", "a.py", "s = 'it\\'s jwt.decode(x)'\nv = jwt.encode(p)\n", []string{"2:5 jwt_operation"}},
		{"py line continuation", "a.py", "x = \\\n  jwt.decode(t)\n", []string{"2:3 jwt_operation"}},
		{"py relative import", "a.py", "from .jwt import decode\ndecode(t)\n", nil},
		{"py from import paren", "a.py", "from jwt import (\n    encode as enc,\n)\nenc(p)\n", []string{"1:6 jwt_import", "4:1 jwt_operation"}},
		{"py lambda validator", "a.py", "verify_token = lambda t: t\n", nil},
		{"py unicode column", "a.py", "é = jwt.decode(t)\n", []string{"1:5 jwt_operation"}},
		{"go rune and raw", "a.go", "package a\nvar q = '\"'\nvar r = `jwt.Parse(x)\n` + \"x\"\nvar s = jwt.Parse(r)\n", []string{"5:9 jwt_operation"}},
		{"go block comment lines", "a.go", "package a\n/*\njwt.Parse(x)\n*/\nvar s = jwt.Parse(r)\n", []string{"5:9 jwt_operation"}},
		{"go func literal is not a def", "a.go", "package a\nvar verifyToken = func() {}\n", nil},
		{"go method value not a call", "a.go", "package a\nvar p = jwt.Parse\n", nil},
		{"go dot import", "a.go", "package a\nimport . \"github.com/golang-jwt/jwt/v5\"\n", []string{"2:10 jwt_import"}},
		{"go not a jwt module", "a.go", "package a\nimport \"github.com/golang-jwt/jwtx\"\n", nil},
		{"go gopkg.in", "a.go", "package a\nimport \"gopkg.in/square/go-jose.v2/jwt\"\nvar _ = jwt.ParseSigned(s)\n", []string{"2:8 jwt_import", "3:9 jwt_operation"}},
		{"js regex with quote", "a.js", "const r = /'/; jwt.verify(t)\n", []string{"1:16 jwt_operation"}},
		{"js regex-like text with an escaped line break", "a.js", "let r = /a\\\nb/\n\njwt.verify(t, k)\n", []string{"4:1 jwt_operation"}},
		{"js division is not regex", "a.js", "const x = a / b; jwt.verify(t) / 2\n", []string{"1:18 jwt_operation"}},
		{"js nested template", "a.js", "const s = `a ${`b ${jwt.sign(p)}`} c`;\n", []string{"1:21 jwt_operation"}},
		{"js template text", "a.js", "const s = `jwt.sign(p) ${x} process.env.JWT_SECRET`;\n", nil},
		{"js block comment", "a.js", "/* jwt.sign(p)\n process.env.JWT_SECRET */ const y = 1;\n", nil},
		{"js export from", "a.js", "export { default } from 'jsonwebtoken/sign';\n", []string{"1:25 jwt_import"}},
		{"js side-effect import", "a.js", "import 'jose';\n", []string{"1:8 jwt_import"}},
		{"js not jwt module", "a.js", "import x from 'josee';\nconst y = require('jsonwebtokens');\n", nil},
		{"js method def sharing imported name", "a.js", "import { verify } from 'jsonwebtoken';\nclass A {\n  verify(t) {\n    return verify(t);\n  }\n}\n", []string{"1:24 jwt_import", "4:12 jwt_operation"}},
		{"js object method validator once", "a.js", "const o = { validateToken(t) { return t; } };\n", nil},
		{"js call is not def", "a.js", "if (validateToken(t)) { x(); }\nvalidateToken(t);\n", nil},
		{"ts type member arrow", "a.ts", "type V = {\n  validateToken: (t: string) => boolean;\n};\n", nil},
		{"ts secret in string key", "a.ts", "const k = cfg['auth.jwt_secret'];\n", []string{"1:15 secret_access"}},
		{"ts default jwt-decode", "a.ts", "import decode from 'jwt-decode';\nconst c = decode(t);\n", []string{"1:20 jwt_import", "2:11 jwt_operation"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{tc.file: tc.src})
			r := scanOK(t, []string{dir}, Options{})
			var got []string
			for _, f := range r.Findings {
				got = append(got, fmt.Sprintf("%d:%d %s", f.Line, f.Column, f.Category))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDuplicateValidators(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"cross-language", map[string]string{
			"a.py": "def validate_token(t):\n    return t\n",
			"b.ts": "export function validateToken(t: string) { return t; }\n",
		}, []string{"a.py:1:5 duplicate_validator", "b.ts:1:17 duplicate_validator"}},
		{"twice in one file", map[string]string{
			"a.go": "package a\n\nfunc (A) VerifyJWT() {}\nfunc (B) VerifyJWT() {}\n",
		}, []string{"a.go:3:10 duplicate_validator", "a.go:4:10 duplicate_validator"}},
		{"different names", map[string]string{
			"a.py": "def decode_jwt(t):\n    return t\n",
			"b.py": "def validate_and_decode_jwt(t):\n    return t\n",
		}, nil},
		{"not validators", map[string]string{
			"a.py": "def get_token(t):\n    return t\n",
			"b.py": "def get_token(t):\n    return t\n",
		}, nil},
		{"auth copy does not count", map[string]string{
			"auth/v.py": "def verify_jwt_signature(t):\n    return t\n",
			"api/v.py":  "def verify_jwt_signature(t):\n    return t\n",
		}, nil},
		{"test copy does not count", map[string]string{
			"tests/v.py": "def verify_jwt_signature(t):\n    return t\n",
			"api/v.py":   "def verify_jwt_signature(t):\n    return t\n",
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := scanOK(t, []string{writeTree(t, tc.files)}, Options{AuthPaths: []string{"auth"}})
			checkFindings(t, r, tc.want)
		})
	}
}

func TestAuthMatcher(t *testing.T) {
	tests := []struct {
		patterns []string
		rel      string
		want     bool
	}{
		{[]string{"auth/**"}, "auth/x.py", true},
		{[]string{"auth/**"}, "auth/a/b/x.py", true},
		{[]string{"auth/**"}, "authx/x.py", false},
		{[]string{"auth/**"}, "api/auth/x.py", false},
		{[]string{"*/auth/**"}, "python/auth/x.py", true},
		{[]string{"services/*/auth/**"}, "services/a/auth/k/x.go", true},
		{[]string{"auth"}, "auth/x.py", true},
		{[]string{"auth/*.py"}, "auth/x.py", true},
		{[]string{"auth/*.py"}, "auth/k/x.py", false},
		{[]string{"./auth/**"}, "auth/x.py", true},
		{[]string{"**"}, "x.py", true},
		{nil, "auth/x.py", false},
	}
	for _, tc := range tests {
		m, err := newAuthMatcher(tc.patterns)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.match(tc.rel); got != tc.want {
			t.Errorf("%q match %q = %v, want %v", tc.patterns, tc.rel, got, tc.want)
		}
	}
}

func TestErrors(t *testing.T) {
	_, err := Scan(context.Background(), []string{"testdata/python", "testdata/no-such-dir"}, Options{})
	if err == nil || !strings.Contains(err.Error(), "testdata/no-such-dir") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing root: err = %v, want one naming it and wrapping ErrNotExist", err)
	}
	if _, err := Scan(context.Background(), []string{"testdata"}, Options{AuthPaths: []string{"auth/["}}); err == nil {
		t.Error("bad pattern: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Scan(ctx, []string{"testdata"}, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, want context.Canceled", err)
	}
	if _, err := Scan(context.Background(), nil, Options{}); err == nil {
		t.Error("no roots: no error")
	}
}

func TestRootsAndSkips(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"svc/app.py":                 "import jwt\n",
		"svc/vendor/lib.go":          "package lib\nimport \"github.com/golang-jwt/jwt/v5\"\n",
		"svc/testdata/x.py":          "import jwt\n",
		"svc/node_modules/m/i.js":    "require('jose')\n",
		"svc/.git/hooks/h.py":        "import jwt\n",
		"svc/big.py":                 "import jwt\n" + strings.Repeat("#", MaxFileSize),
		"svc/notes.txt":              "import jwt\n",
		"other/testdata/explicit.py": "import jwt\n",
	})
	svc := filepath.Join(dir, "svc")
	r := scanOK(t, []string{svc}, Options{})
	checkFindings(t, r, []string{"app.py:1:8 jwt_import"})
	if r.FilesScanned != 1 {
		t.Errorf("FilesScanned = %d, want 1", r.FilesScanned)
	}
	// An explicitly named testdata directory, and a single file, are scanned.
	td := filepath.Join(dir, "other", "testdata")
	r = scanOK(t, []string{td}, Options{})
	checkFindings(t, r, []string{"explicit.py:1:8 jwt_import"})
	r = scanOK(t, []string{filepath.Join(svc, "app.py")}, Options{})
	checkFindings(t, r, []string{"app.py:1:8 jwt_import"})
	// Several roots: paths carry the root; overlapping roots scan a file once.
	r = scanOK(t, []string{"testdata/go/legacy", "testdata/go/legacy/old.go", "testdata/python/services"}, Options{})
	checkFindings(t, r, []string{"testdata/go/legacy/old.go:3:8 jwt_import"})
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

// goldenRun is the scan behind the golden files: every sample tree at once,
// so validators are also grouped across languages.
func goldenRun(t *testing.T) Result {
	t.Helper()
	return scanOK(t, []string{"testdata"}, Options{AuthPaths: []string{"*/auth/**"}})
}

func TestGolden(t *testing.T) {
	r := goldenRun(t)
	for _, g := range []struct {
		file  string
		write func(*bytes.Buffer, Result) error
	}{
		{"scan.txt", func(b *bytes.Buffer, r Result) error { return WriteText(b, r) }},
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

func TestGoldenCounts(t *testing.T) {
	r := goldenRun(t)
	// Per-language findings, plus cross-language validator groups:
	// validate_token/ValidateToken/validateToken (6 sites) and
	// decode_jwt/decodeJWT (python, js, ts: 3 sites) and verifyToken (2).
	checkCounts(t, r, counts{
		CategoryJWTImport:          {8, 17},
		CategoryJWTOperation:       {7, 19},
		CategorySecretAccess:       {7, 13},
		CategoryDuplicateValidator: {8, 11},
	})
	if r.FilesScanned != 11 || r.LinesScanned != 222 {
		t.Errorf("scanned %d files, %d lines", r.FilesScanned, r.LinesScanned)
	}
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
	r := scanOK(t, []string{writeTree(t, map[string]string{"a.py": "x = 1\n"})}, Options{})
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["schema_version"] != float64(1) {
		t.Errorf("schema_version = %v", doc["schema_version"])
	}
	if f, ok := doc["findings"].([]any); !ok || len(f) != 0 {
		t.Errorf("findings = %v, want []", doc["findings"])
	}
}

func TestSARIFStructure(t *testing.T) {
	r := goldenRun(t)
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, r); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID               string `json:"id"`
						ShortDescription struct {
							Text string `json:"text"`
						} `json:"shortDescription"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    *string `json:"ruleId"`
				RuleIndex *int    `json:"ruleIndex"`
				Level     string  `json:"level"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine   int `json:"startLine"`
							StartColumn int `json:"startColumn"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	dec := json.NewDecoder(&buf)
	if err := dec.Decode(&log); err != nil {
		t.Fatal(err)
	}
	if log.Schema == "" || log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("$schema=%q version=%q runs=%d", log.Schema, log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "gpcheck-scan" {
		t.Errorf("driver name %q", run.Tool.Driver.Name)
	}
	var ids []string
	for _, rule := range run.Tool.Driver.Rules {
		if rule.ShortDescription.Text == "" {
			t.Errorf("rule %s: no shortDescription", rule.ID)
		}
		ids = append(ids, rule.ID)
	}
	if want := []string{"jwt_import", "jwt_operation", "secret_access", "duplicate_validator"}; !slices.Equal(ids, want) {
		t.Errorf("rules %v, want %v", ids, want)
	}
	if len(run.Results) != len(r.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(r.Findings))
	}
	for i, res := range run.Results {
		f := r.Findings[i]
		if res.RuleID == nil || *res.RuleID != string(f.Category) || res.RuleIndex == nil || ids[*res.RuleIndex] != *res.RuleID {
			t.Errorf("result %d: bad ruleId/ruleIndex", i)
		}
		if res.Level != "error" || res.Message.Text == "" || len(res.Locations) != 1 {
			t.Errorf("result %d: level %q message %q locations %d", i, res.Level, res.Message.Text, len(res.Locations))
			continue
		}
		pl := res.Locations[0].PhysicalLocation
		if pl.ArtifactLocation.URI != f.Path || pl.Region.StartLine < 1 || pl.Region.StartColumn < 1 {
			t.Errorf("result %d: location %+v", i, pl)
		}
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
}

// TestFixtures holds the repository's own reference services to the rule
// the scanner enforces: with the auth service excluded, no JWT code.
func TestFixtures(t *testing.T) {
	root := filepath.Join("..", "..", "fixtures")
	r := scanOK(t, []string{root}, Options{AuthPaths: []string{"auth/**"}})
	if r.FilesScanned == 0 {
		t.Fatal("scanned no file of fixtures/")
	}
	for _, f := range r.Findings {
		t.Errorf("JWT code outside fixtures/auth: %s:%d:%d %s %s", f.Path, f.Line, f.Column, f.Category, f.Detail)
	}
}

func TestSymlinkedRoot(t *testing.T) {
	dir := writeTree(t, map[string]string{"real/a.py": "import jwt\n"})
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "real"), link); err != nil {
		t.Skipf("this file system cannot make symlinks, so there is nothing to follow (%v); the test runs on any file system that can, as on Linux CI", err)
	}
	checkFindings(t, scanOK(t, []string{link}, Options{}), []string{"a.py:1:8 jwt_import"})
}
