package scan

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// FindRoot returns the default repository root for a scan of p: the
// nearest directory at or above p holding a .git entry (the git top level;
// a worktree's .git file counts), or, outside any repository, the current
// directory. The result is absolute with symlinks resolved.
func FindRoot(p string) (string, error) {
	abs, err := realPath(p)
	if err != nil {
		return "", fmt.Errorf("find repository root of %s: %w", p, err)
	}
	if st, err := os.Stat(abs); err == nil && !st.IsDir() {
		abs = filepath.Dir(abs)
	}
	for dir := abs; ; {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	return realPath(wd)
}

// realPath is p made absolute with symlinks resolved, so that paths below
// a root compare equal however they were spelt.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// PatternError is a bad --auth-path or --test-path pattern: malformed,
// outside the repository root, or matching no file.
type PatternError struct {
	Kind    string // "auth path" or "test path"
	Pattern string // as given
	Reason  string
}

func (e *PatternError) Error() string {
	return fmt.Sprintf("%s pattern %q %s", e.Kind, e.Pattern, e.Reason)
}

// globSet is a list of doublestar patterns on slash paths relative to the
// repository root. A pattern matching a directory covers everything below
// it. It remembers which patterns matched something, so that a pattern
// that matches no file is reported instead of silently doing nothing.
type globSet struct {
	kind     string
	given    []string
	patterns []string
	hit      []bool
}

func newGlobSet(kind, root string, patterns []string) (*globSet, error) {
	g := &globSet{kind: kind}
	for _, p := range patterns {
		q := p
		if filepath.IsAbs(q) {
			rel, err := filepath.Rel(root, filepath.Clean(q))
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return nil, &PatternError{kind, p, "is outside the repository root " + root}
			}
			q = rel
		}
		q = strings.TrimPrefix(path.Clean(filepath.ToSlash(q)), "./")
		if q == "." || q == "" {
			q = "**"
		}
		if strings.HasPrefix(q, "../") || q == ".." {
			return nil, &PatternError{kind, p, "is outside the repository root " + root}
		}
		if !doublestar.ValidatePattern(q) {
			return nil, &PatternError{kind, p, "is not a valid glob"}
		}
		g.given = append(g.given, p)
		g.patterns = append(g.patterns, q)
		g.hit = append(g.hit, false)
	}
	return g, nil
}

// match reports whether the root-relative slash path rel matches a
// pattern, marking the patterns that do.
func (g *globSet) match(rel string) bool {
	found := false
	for k, p := range g.patterns {
		if ok, _ := doublestar.Match(p, rel); ok {
			g.hit[k], found = true, true
		}
	}
	return found
}

// matchWithin reports whether rel or a directory above it matches.
func (g *globSet) matchWithin(rel string) bool {
	if rel == "" {
		return false
	}
	found := g.match(rel)
	for i := 0; i < len(rel); i++ {
		if rel[i] == '/' && g.match(rel[:i]) {
			found = true
		}
	}
	return found
}

// errFound stops a GlobWalk at the first match.
var errFound = errors.New("found")

// unmatched returns an error naming the first pattern that matches no
// file. A pattern that matched nothing below the scanned paths is looked
// up in the whole repository (scanning one folder with a shared list of
// auth paths is fine); only one that matches nothing there is an error.
func (g *globSet) unmatched(root string) error {
	fsys := os.DirFS(root)
	for k, ok := range g.hit {
		if ok {
			continue
		}
		err := doublestar.GlobWalk(fsys, g.patterns[k], func(string, fs.DirEntry) error { return errFound })
		if errors.Is(err, errFound) {
			continue
		}
		return &PatternError{g.kind, g.given[k], "matches no file under the repository root " + root +
			" (patterns are relative to it; ** matches any number of directories)"}
	}
	return nil
}

// Directory and file classes, decided on the way down: the first that
// applies to a directory holds for everything below it.
type class uint8

const (
	classScan     class = iota
	classTest           // test code: skipped unless IncludeTests
	classAuth           // the auth service: never read
	classVendored       // dependencies, build output, generated code, backup copies
)

// vcsDirs are never walked nor counted.
var vcsDirs = setOf(".git", ".hg", ".svn", ".jj")

// vendoredDirs hold code that is not the repository's own: dependencies,
// virtual environments, caches and build output.
var vendoredDirs = setOf("node_modules", "vendor", "third_party", "third-party", "bower_components",
	"jspm_packages", "site-packages", ".venv", "venv", "virtualenv", ".tox", ".nox", "__pypackages__",
	".eggs", "__pycache__", ".mypy_cache", ".pytest_cache", "dist", "build", ".next", ".nuxt",
	".svelte-kit", "coverage", "generated", "__generated__")

// vendoredDir: a dependency or build directory, or a copy of code kept
// aside: backup, backups, backup_2024, api_backup, src.bak, service.orig,
// handlers-copy.
func vendoredDir(name string) bool {
	if vendoredDirs[name] {
		return true
	}
	l := strings.ToLower(name)
	if strings.HasPrefix(l, "backup") {
		return true
	}
	for _, s := range []string{"backup", "backups", "bak", "orig", "copy", "old"} {
		for _, sep := range []string{"_", "-", "."} {
			if strings.HasSuffix(l, sep+s) {
				return true
			}
		}
	}
	return false
}

// testDirs hold test code in every language.
var testDirs = setOf("test", "tests", "testing", "testdata", "__tests__", "__mocks__", "e2e", "spec", "specs",
	"testutil", "testutils", "testhelpers", "mocks", "fakes")

// testDir: a test directory by name: tests, __tests__, testdata, and
// test_framework, test-utils, integration_tests and the like.
func testDir(name string) bool {
	if testDirs[name] {
		return true
	}
	l := strings.ToLower(name)
	for _, p := range []string{"test_", "test-", "tests_", "tests-"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	for _, s := range []string{"_test", "-test", "_tests", "-tests"} {
		if strings.HasSuffix(l, s) {
			return true
		}
	}
	return false
}

// generatedFile: generated or bundled by its name alone.
func generatedFile(name string) bool {
	for _, s := range []string{".min.js", ".bundle.js", "_pb2.py", "_pb2_grpc.py", ".pb.go", ".pb.gw.go", ".gen.go",
		"_generated.go", ".generated.ts", ".generated.js"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return strings.HasPrefix(name, "zz_generated")
}

// generatedHeader: the file says it is generated near its top ("Code
// generated ... DO NOT EDIT.", "@generated").
func generatedHeader(src string) bool {
	head := src[:min(len(src), 1024)]
	return strings.Contains(head, "Code generated") && strings.Contains(head, "DO NOT EDIT") ||
		strings.Contains(head, "@generated")
}

// errOutsideRoot is wrapped by the error for a path outside the root.
var errOutsideRoot = errors.New("outside the repository root")
