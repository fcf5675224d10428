package scan

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// maxFuzzSource bounds a fuzzed source file: the lexers are linear, so
// 64 KiB is plenty to find a loop that never ends.
const maxFuzzSource = 64 << 10

// lexDeadline is how long one fuzzed file may take before the lexer is
// taken to loop forever.
const lexDeadline = 10 * time.Second

// FuzzLexPython, FuzzLexGo and FuzzLexJS feed arbitrary source to one
// lexer and to the rules that read its tokens (analyze, snippets), and
// check (checkLex):
//   - nothing panics and nothing loops forever (a watchdog fails the input
//     after lexDeadline);
//   - tokens are in file order (strictly increasing offsets) and every
//     token's offset is inside the file;
//   - line numbers are exact, as lexer.go promises: a token's line is 1 +
//     the newlines before its offset, including after multi-line strings,
//     comments, templates and regular expressions;
//   - identifiers and punctuation are the source text at their offset, and
//     a string's contents are the source text just after its opening quote;
//   - every finding and definition has a line within the file, a column
//     >= 1, and a snippet of at most maxSnippet runes with no whole JWT.
func FuzzLexPython(f *testing.F) {
	addSeeds(f, "python", ".py")
	addSeeds(f, "corpus", ".py")
	for _, s := range []string{
		"import jwt\nSECRET = os.getenv(\"JWT_SECRET\")\ndef verify_token(t):\n    return jwt.decode(t, SECRET, algorithms=[\"HS256\"])\n",
		"def f():\n    \"\"\"doc\nstring\"\"\"\n    x = rb'''a\\\nb''' + f\"{y}\"\n    return x\n",
		"x = (1,\n  2)\\\n  + 3 # comment\ny = 'unterminated\nz = \"\"\"never closed",
		"s = 'a\\\nb'\nt = u\"\\\"\" ; '''\n",
		"from jose import jwt as j\nj.encode({}, KEY)\n",
		"import jwt\nx = f\"{settings.JWT_SECRET!r:>{w}} {jwt.decode(t)=}\" f'{f\"{a}\"}' rf\"\\{b}\" f'''{\nc}'''\n",
		"f'{",
		"f'{a:{'",
		"f\"{x!\"",
		"f'\\N{'",
		"f\"\"\"{'''\n}\"\"\"",
		"def f(jwt):\n    jwt = 1\n    return jwt.decode()\n",
		"\\",
		"'",
		"\"\"\"",
		"\\\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) { checkLex(t, &python, src) })
}

func FuzzLexGo(f *testing.F) {
	addSeeds(f, "go", ".go")
	addSeeds(f, "corpus", ".go")
	for _, s := range []string{
		"package p\n\nimport jwt \"github.com/golang-jwt/jwt/v5\"\n\nfunc ValidateToken(s string) (*jwt.Token, error) {\n\treturn jwt.Parse(s, nil)\n}\n",
		"package p\nvar s = `raw\nmulti` + \"q\\\"\" + '\\''\n/* block\ncomment */ x := .5e3\n",
		"/* never closed",
		"`never closed\n",
		"\"ends at newline\nx",
		"'\\",
		"a?.b===c!==d...e:=f->g&&h||i",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) { checkLex(t, &golang, src) })
}

func FuzzLexJS(f *testing.F) {
	addSeeds(f, "js", ".js")
	addSeeds(f, "ts", ".ts")
	addSeeds(f, "corpus", ".js")
	addSeeds(f, "corpus", ".ts")
	for _, s := range []string{
		"#!/usr/bin/env node\nconst jwt = require('jsonwebtoken');\nmodule.exports = (t) => jwt.verify(t, process.env.JWT_SECRET);\n",
		"import * as j from 'jose'\nexport async function verifyToken(t: string) { return j.jwtVerify(t, key) }\n",
		"const s = `a ${b ? `c ${d} e` : {f: 1}} g\nh`;\n",
		"x = a / b / c; y = /re[/]gex/gi.test(z); return /x/\n",
		"x = /unterminated\ny = 1",
		"`${",
		"`${}}}`",
		"a?.b(c)",
		"'\\\n'",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) { checkLex(t, &javascript, src) })
}

// addSeeds adds every file with extension ext below testdata/dir (the
// scanner's own fixtures) as a seed.
func addSeeds(f *testing.F, dir, ext string) {
	f.Helper()
	err := filepath.WalkDir(filepath.Join("testdata", dir), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ext {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && len(b) <= maxFuzzSource {
			f.Add(string(b))
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
}

// lexed is what one lexer and analysis run produced.
type lexed struct {
	toks     []token
	findings []Finding
	funcs    []funcInfo
}

// runBounded runs fn, failing t (with every goroutine's stack) when it
// has not returned after d: a lexer or rule that loops forever.
func runBounded[T any](t *testing.T, d time.Duration, what string, fn func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- fn() }()
	select {
	case v := <-done:
		return v
	case <-time.After(d):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%s did not return within %v: it loops forever\n%s", what, d, buf)
		panic("unreachable")
	}
}

func checkLex(t *testing.T, lang *language, src string) {
	if len(src) > maxFuzzSource {
		t.Skip("source over 64 KiB: this target keeps each input small so that it runs in milliseconds; inputs up to 64 KiB run in make test (seed corpus) and make fuzz")
	}
	r := runBounded(t, lexDeadline, "lex+analyze", func() lexed {
		toks := lang.lex(src, nil)
		findings, funcs := analyze(lang, src, toks, nil)
		return lexed{toks, findings, funcs}
	})

	// newlines[k] is the offset of the k-th '\n'.
	var newlines []int
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			newlines = append(newlines, i)
		}
	}
	lineAt := func(off int) int {
		n := 0
		for n < len(newlines) && newlines[n] < off {
			n++
		}
		return n + 1
	}
	prev := -1
	for k, tk := range r.toks {
		off := int(tk.off)
		if off < 0 || off >= len(src) {
			t.Fatalf("token %d %+v: offset outside the %d-byte file\nsrc: %q", k, tk, len(src), src)
		}
		if off <= prev {
			t.Fatalf("token %d %+v: offset %d not after the previous token's %d\nsrc: %q", k, tk, off, prev, src)
		}
		prev = off
		if want := lineAt(off); int(tk.line) != want {
			t.Fatalf("token %d %+v at offset %d: line %d, the source says %d\nsrc: %q", k, tk, off, tk.line, want, src)
		}
		switch tk.kind {
		case tkIdent:
			if tk.text == "" || !strings.HasPrefix(src[off:], tk.text) {
				t.Fatalf("identifier %d %+v is not the source at its offset %q\nsrc: %q", k, tk, clip(src[off:]), src)
			}
		case tkPunct:
			text := tk.text
			if strings.HasPrefix(src[off:], "?.") && text == "." {
				text = "?."
			}
			if text == "" || !strings.HasPrefix(src[off:], text) {
				t.Fatalf("punctuation %d %+v is not the source at its offset %q\nsrc: %q", k, tk, clip(src[off:]), src)
			}
		case tkString:
			if !stringAt(lang, src, off, tk.text) {
				t.Fatalf("string %d %+v: contents are not the source after its opening quote at %q\nsrc: %q", k, tk, clip(src[off:]), src)
			}
		}
	}

	lines := countLines(src)
	for _, fd := range r.findings {
		checkSite(t, src, lines, fd.Line, fd.Column, fd.Snippet, string(fd.Rule))
		if m := jwtLikeRE.FindString(fd.Message); m != "" {
			t.Fatalf("finding message %q holds a whole JWT %q\nsrc: %q", fd.Message, m, src)
		}
	}
	for _, d := range r.funcs {
		if d.reportable {
			checkSite(t, src, lines, d.line, d.col, d.snippet, "definition "+d.name)
		}
	}
}

// stringAt reports whether text follows the opening quote of the string
// literal whose token starts at off: the quote itself for Go and JS (or
// the '}' that resumes a template, or an f-string after a replacement
// field), after a prefix such as rb for Python, whose triple quotes take
// three bytes.
func stringAt(lang *language, src string, off int, text string) bool {
	at := func(i int) bool { return i <= len(src) && strings.HasPrefix(src[i:], text) }
	if lang != &python || src[off] == '}' {
		return at(off + 1)
	}
	q := strings.IndexAny(src[off:], `"'`)
	if q < 0 {
		return false
	}
	return at(off+q+1) || at(off+q+3)
}

func checkSite(t *testing.T, src string, lines, line, col int, snippet, what string) {
	t.Helper()
	if line < 1 || line > lines || col < 1 {
		t.Fatalf("%s at line %d column %d of a %d-line file\nsrc: %q", what, line, col, lines, src)
	}
	if n := utf8.RuneCountInString(snippet); n > maxSnippet {
		t.Fatalf("%s: snippet of %d runes (max %d): %q", what, n, maxSnippet, snippet)
	}
	if m := jwtLikeRE.FindString(snippet); m != "" {
		t.Fatalf("%s: snippet %q holds a whole JWT %q\nsrc: %q", what, snippet, m, src)
	}
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// FuzzScan runs the exported Scan over a temporary directory holding the
// fuzzed source once per language (app.py, app.go, app.js, app.ts: the
// last two share a lexer, so a token validator in them is a duplicate).
// Properties: Scan neither fails nor loops forever; it reads the four
// files (or skips them as generated) and counts their lines; every
// finding is in one of them, within its lines, with a bounded snippet, no
// whole JWT and a unique fingerprint; ByRule adds up to the findings; and
// a second Scan gives the same result.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		"import jwt\nfrom jose import jwt as j\nSECRET = os.environ['JWT_SECRET']\ndef verify_token(t):\n    return jwt.decode(t, SECRET)\n",
		"package p\nimport jwt \"github.com/golang-jwt/jwt/v5\"\nfunc ValidateToken(s string) { jwt.Parse(s, nil) }\n",
		"const jwt = require('jsonwebtoken')\nfunction verifyToken(t) { return jwt.verify(t, process.env.JWT_SECRET) }\nconst k = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl'\n",
		"",
		"\n",
	} {
		f.Add(s)
	}
	// One directory per fuzzing process, its files rewritten by each
	// input (a directory per input would make the file system the cost).
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > maxFuzzSource {
			t.Skip("source over 64 KiB: this target keeps each input small so that it runs in milliseconds; inputs up to 64 KiB run in make test (seed corpus) and make fuzz")
		}
		names := []string{"app.py", "app.go", "app.js", "app.ts"}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(dir, n), []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		scan := func() Result {
			ctx, cancel := context.WithTimeout(context.Background(), 2*lexDeadline)
			defer cancel()
			r, err := Scan(ctx, []string{dir}, Options{Root: dir, MinConfidence: ConfidenceLow})
			if err != nil {
				t.Fatalf("Scan: %v\nsrc: %q", err, src)
			}
			return r
		}
		r := runBounded(t, 4*lexDeadline, "Scan", scan)
		lines := countLines(src)
		if r.Files.Scanned+r.Files.Vendored != len(names) || r.LinesScanned != r.Files.Scanned*lines {
			t.Fatalf("files %+v, %d lines; want %d files of %d lines", r.Files, r.LinesScanned, len(names), lines)
		}
		total := 0
		for _, c := range r.ByRule {
			total += c.Findings
		}
		if total != len(r.Findings) {
			t.Fatalf("ByRule counts %d findings, the result has %d", total, len(r.Findings))
		}
		fps := map[string]bool{}
		for _, fd := range r.Findings {
			if !strings.HasPrefix(fd.Path, "app.") {
				t.Fatalf("finding in %q, not a scanned file", fd.Path)
			}
			checkSite(t, src, lines, fd.Line, fd.Column, fd.Snippet, fd.Path+" "+string(fd.Rule))
			if fps[fd.Fingerprint] {
				t.Fatalf("fingerprint %s twice", fd.Fingerprint)
			}
			fps[fd.Fingerprint] = true
			for _, rel := range fd.Related {
				if !strings.HasPrefix(rel.Path, "app.") || rel.Line < 1 || rel.Line > lines {
					t.Fatalf("related location %+v outside the scanned files", rel)
				}
			}
		}
		if again := runBounded(t, 4*lexDeadline, "Scan", scan); !reflect.DeepEqual(r, again) {
			t.Fatalf("two scans of the same files differ:\n%+v\n%+v", r, again)
		}
	})
}
