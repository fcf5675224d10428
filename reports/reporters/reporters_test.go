package reporters

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/internal/fixture"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// consoleFile names the console summary's golden file.
const consoleFile = "console.txt"

// console renders r with Console.
func console(r *reports.Report) []byte {
	var b bytes.Buffer
	Console(&b, r)
	return b.Bytes()
}

// TestGoldenFiles renders every fixture with every reporter, and the
// console summary, and compares each with testdata/<fixture>/<file>.
func TestGoldenFiles(t *testing.T) {
	for _, fx := range fixture.Reports {
		red := reports.Redacted(fx.Report(), fixture.Secret)
		for _, rep := range All() {
			t.Run(fx.Name+"/"+rep.Name, func(t *testing.T) {
				got, err := rep.Render(red)
				if err != nil {
					t.Fatal(err)
				}
				fixture.Golden(t, filepath.Join("testdata", fx.Name, rep.File), got, *update)
			})
		}
		t.Run(fx.Name+"/console", func(t *testing.T) {
			fixture.Golden(t, filepath.Join("testdata", fx.Name, consoleFile), console(red), *update)
		})
	}
}

func TestAll(t *testing.T) {
	names := map[string]bool{}
	files := map[string]bool{}
	for _, rep := range All() {
		if rep.Name == "" || rep.File == "" || rep.Render == nil || names[rep.Name] || files[rep.File] {
			t.Errorf("reporter %+v is incomplete or repeated", rep)
		}
		names[rep.Name], files[rep.File] = true, true
		if _, err := rep.Render(nil); err == nil {
			t.Errorf("%s: no error for a nil report", rep.Name)
		}
		if _, err := rep.Render(&reports.Report{}); err != nil {
			t.Errorf("%s: an empty report: %v", rep.Name, err)
		}
	}
	want := []string{"report.json", "junit.xml", "report.html", "summary.md"}
	var got []string
	for _, rep := range All() {
		got = append(got, rep.File)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	a := All()
	a[0].Name, a[0].Render = "changed", nil
	if All()[0].Name != "json" || All()[0].Render == nil {
		t.Error("All hands out the list itself")
	}
}

func TestNoTokenOrSecretInAnyOutput(t *testing.T) {
	// A secret made of markup characters must go too, though escaping
	// would change how it appears in the output; and so must a URL's
	// password.
	const markupSecret = `<a&"b'>`
	for _, fx := range fixture.Reports {
		t.Run(fx.Name, func(t *testing.T) {
			r := fx.Report()
			if len(r.Findings) > 0 {
				r.Findings[0].Detail += " " + markupSecret
			}
			r.Target.AuthURL = "https://svc:hunter22@auth.example"
			r.Spec.Origin = "https://svc:hunter22@app.example"
			dir := t.TempDir()
			paths, err := WriteAll(dir, r, fixture.Secret, markupSecret)
			if err != nil {
				t.Fatal(err)
			}
			outputs := map[string][]byte{"console": console(reports.Redacted(r, fixture.Secret, markupSecret))}
			for _, p := range paths {
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				outputs[filepath.Base(p)] = b
			}
			if len(outputs) != len(All())+1 {
				t.Fatalf("outputs %d, want %d", len(outputs), len(All())+1)
			}
			for name, got := range outputs {
				for _, bad := range []string{fixture.JWT, fixture.Secret, "eyJhbGciOiJIUzI1NiJ9", markupSecret,
					"&lt;a&amp;", `\<a\&`, "hunter22"} {
					if bytes.Contains(got, []byte(bad)) {
						t.Errorf("%s holds %q", name, bad)
					}
				}
			}
		})
	}
}

func TestWriteAll(t *testing.T) {
	for _, fx := range fixture.Reports {
		t.Run(fx.Name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			r := fx.Report()
			paths, err := WriteAll(dir, r, fixture.Secret)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, rep := range All() {
				want = append(want, rep.File)
			}
			if len(paths) != len(want) {
				t.Fatalf("paths %v, want %v", paths, want)
			}
			for i, p := range paths {
				if p != filepath.Join(dir, want[i]) {
					t.Errorf("path %d = %s, want %s", i, p, want[i])
				}
				// WriteAll redacts with the secrets: what it writes is the
				// golden file.
				got, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if golden, err := os.ReadFile(filepath.Join("testdata", fx.Name, want[i])); err != nil || !bytes.Equal(got, golden) {
					t.Errorf("%s differs from its golden file (%v)", want[i], err)
				}
				if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o644 {
					t.Errorf("%s: mode %v, %v", p, st.Mode(), err)
				}
			}
			assertEntries(t, dir, want...)
			if !reflect.DeepEqual(r, fx.Report()) {
				t.Error("WriteAll changed the report it wrote")
			}
		})
	}
}

func TestJSONReadsBack(t *testing.T) {
	for _, fx := range fixture.Reports {
		red := reports.Redacted(fx.Report(), fixture.Secret)
		b, err := JSON(red)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(b, []byte("}\n")) || !bytes.HasPrefix(b, []byte("{\n  \"schema_version\": 3,\n")) {
			t.Errorf("%s: report.json is not indented JSON ending in a newline", fx.Name)
		}
		got, err := reports.ReadJSON(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, red) {
			t.Errorf("%s: report.json reads back as\n%+v\nwant\n%+v", fx.Name, got, red)
		}
	}
	// No HTML escaping: markup in a detail stays as it is.
	b, err := JSON(reports.Redacted(fixture.Failing()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("<b>200</b>")) || bytes.Contains(b, []byte(`\u003c`)) {
		t.Error("report.json escapes HTML")
	}
}

func TestWriteAllWritesWhatItCan(t *testing.T) {
	dir := t.TempDir()
	// A non-empty folder where report.html goes: the rename onto it fails.
	if err := os.MkdirAll(filepath.Join(dir, "report.html", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	paths, err := WriteAll(dir, fixture.Passing())
	if err == nil || !strings.HasPrefix(err.Error(), "report.html: ") {
		t.Fatalf("error %v, want one about report.html", err)
	}
	var pe *fs.PathError
	var le *os.LinkError
	if !errors.As(err, &pe) && !errors.As(err, &le) {
		t.Errorf("error %v does not wrap the file system's error", err)
	}
	if len(paths) != 3 {
		t.Errorf("paths %v, want the three other files", paths)
	}
	assertEntries(t, dir, "report.json", "junit.xml", "report.html", "summary.md")
}

func TestWriteAllNilReport(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteAll(dir, nil); err == nil {
		t.Error("no error for a nil report")
	}
	assertEntries(t, dir)
}

func TestWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "trend.html")
	for _, content := range []string{"first", "second"} {
		if err := WriteFile(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != content {
			t.Errorf("read %q, %v; want %q", b, err, content)
		}
	}
	assertEntries(t, filepath.Dir(path), "trend.html")
	if err := WriteFile(filepath.Join(path, "under-a-file"), nil); err == nil {
		t.Error("no error writing under a file")
	}
}

// assertEntries checks that dir holds exactly names: no temporary file
// left behind.
func assertEntries(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, e := range entries {
		got[e.Name()] = true
	}
	for _, n := range names {
		if !got[n] {
			t.Errorf("%s missing from %s", n, dir)
		}
		delete(got, n)
	}
	for n := range got {
		t.Errorf("unexpected %s left in %s", n, dir)
	}
}
