package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// MaxFileSize is the size above which a file is skipped unread.
const MaxFileSize = 2 << 20

// Options configures Scan.
type Options struct {
	// AuthPaths are globs (path.Match syntax) on slash paths relative to
	// the scan root, plus "dir/**" meaning everything below dir. Files they
	// match are the auth service: never read, never reported. A pattern
	// that matches a directory also covers everything below it.
	AuthPaths []string
	// IncludeTests also scans test files (excluded by default): Python
	// test_*.py, *_test.py, conftest.py and anything under a tests/ or
	// test/ directory; Go *_test.go; JS/TS *.test.*, *.spec.* and anything
	// under __tests__/.
	IncludeTests bool
}

// Category is the kind of a finding.
type Category string

// The categories, in report order.
const (
	CategoryJWTImport          Category = "jwt_import"
	CategoryJWTOperation       Category = "jwt_operation"
	CategorySecretAccess       Category = "secret_access"
	CategoryDuplicateValidator Category = "duplicate_validator"
)

var categories = []Category{CategoryJWTImport, CategoryJWTOperation, CategorySecretAccess, CategoryDuplicateValidator}

// Finding is one occurrence of JWT code outside the auth service.
type Finding struct {
	Category Category `json:"category"`
	// Path is slash-separated and relative to the scan root. When Scan is
	// given several roots it is prefixed with the root as given, so paths
	// from different roots cannot collide.
	Path string `json:"path"`
	// Line and Column are 1-based; Column counts Unicode code points.
	Line   int `json:"line"`
	Column int `json:"column"`
	// Snippet is the trimmed source line, at most 120 characters, with
	// token-like strings (JWTs, long base64/hex runs) redacted.
	Snippet string `json:"snippet"`
	Detail  string `json:"detail"`
}

// CategoryCount summarises one category.
type CategoryCount struct {
	Files       int `json:"files"`       // distinct files with at least one finding
	Occurrences int `json:"occurrences"` // findings
}

// Result is the outcome of a scan.
type Result struct {
	Findings     []Finding // sorted by path, line, column, category
	FilesScanned int       // source files read and analysed
	LinesScanned int       // lines in those files
	// ByCategory has an entry for every category, zero or not.
	ByCategory map[Category]CategoryCount
}

// skipDirs are never descended into below a scan root.
var skipDirs = map[string]bool{"node_modules": true, "vendor": true, ".git": true, "testdata": true}

type fileJob struct {
	abs     string
	display string
	lang    *language
}

type fileResult struct {
	skipped  bool // over MaxFileSize
	lines    int
	findings []Finding
	defs     []defSite
	err      error
}

// Scan scans the files below roots (directories or single files) for JWT
// code outside opts.AuthPaths. A root that does not exist is an error
// naming it. Scan stops between files when ctx is cancelled and returns
// ctx's error. A file or directory that cannot be read is an error too,
// as is a malformed AuthPaths pattern. Files are read by a bounded pool of
// GOMAXPROCS workers; the result is deterministic whatever the concurrency.
func Scan(ctx context.Context, roots []string, opts Options) (Result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if len(roots) == 0 {
		return Result{}, errors.New("scan: no paths to scan")
	}
	auth, err := newAuthMatcher(opts.AuthPaths)
	if err != nil {
		return Result{}, err
	}
	var jobs []fileJob
	seen := map[string]bool{}
	for _, root := range roots {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		found, err := collect(ctx, root, len(roots) > 1, auth, opts.IncludeTests)
		if err != nil {
			return Result{}, err
		}
		for _, j := range found {
			if !seen[j.abs] {
				seen[j.abs] = true
				jobs = append(jobs, j)
			}
		}
	}

	results := make([]fileResult, len(jobs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(jobs), 1)) {
		wg.Go(func() {
			var toks []token
			for {
				k := int(next.Add(1) - 1)
				if k >= len(jobs) || ctx.Err() != nil {
					return
				}
				results[k], toks = scanFile(jobs[k], toks)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}

	res := Result{ByCategory: make(map[Category]CategoryCount, len(categories))}
	type site struct {
		defSite
		path string
	}
	groups := map[string][]site{}
	for k, fr := range results {
		if fr.err != nil {
			return Result{}, fr.err
		}
		if fr.skipped {
			continue
		}
		res.FilesScanned++
		res.LinesScanned += fr.lines
		for _, f := range fr.findings {
			f.Path = jobs[k].display
			res.Findings = append(res.Findings, f)
		}
		for _, d := range fr.defs {
			groups[d.key] = append(groups[d.key], site{d, jobs[k].display})
		}
	}
	for _, sites := range groups {
		if len(sites) < 2 {
			continue
		}
		slices.SortFunc(sites, func(x, y site) int {
			return cmp.Or(cmp.Compare(x.path, y.path), cmp.Compare(x.line, y.line), cmp.Compare(x.col, y.col))
		})
		for i, s := range sites {
			var others []string
			for j, o := range sites {
				if j != i {
					others = append(others, o.path+":"+strconv.Itoa(o.line))
				}
			}
			if len(others) > 3 {
				others = append(others[:3], "…")
			}
			res.Findings = append(res.Findings, Finding{
				Category: CategoryDuplicateValidator,
				Path:     s.path,
				Line:     s.line,
				Column:   s.col,
				Snippet:  s.snippet,
				Detail: fmt.Sprintf("token validator %s defined in %d places; also at %s",
					s.name, len(sites), strings.Join(others, ", ")),
			})
		}
	}
	sortFindings(res.Findings)
	res.ByCategory = countByCategory(res.Findings)
	return res, nil
}

func sortFindings(fs []Finding) {
	slices.SortFunc(fs, func(x, y Finding) int {
		return cmp.Or(cmp.Compare(x.Path, y.Path), cmp.Compare(x.Line, y.Line), cmp.Compare(x.Column, y.Column),
			cmp.Compare(categoryRank(x.Category), categoryRank(y.Category)), cmp.Compare(x.Detail, y.Detail))
	})
}

func categoryRank(c Category) int {
	if i := slices.Index(categories, c); i >= 0 {
		return i
	}
	return len(categories)
}

func countByCategory(fs []Finding) map[Category]CategoryCount {
	m := make(map[Category]CategoryCount, len(categories))
	files := map[Category]map[string]bool{}
	for _, c := range categories {
		m[c] = CategoryCount{}
		files[c] = map[string]bool{}
	}
	for _, f := range fs {
		c := m[f.Category]
		c.Occurrences++
		if files[f.Category] == nil {
			files[f.Category] = map[string]bool{}
		}
		if !files[f.Category][f.Path] {
			files[f.Category][f.Path] = true
			c.Files++
		}
		m[f.Category] = c
	}
	return m
}

// collect lists the files to scan below root.
func collect(ctx context.Context, root string, prefixed bool, auth authMatcher, includeTests bool) ([]fileJob, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("scan: root %q: %w", root, err)
	}
	prefix := ""
	if prefixed {
		prefix = filepath.ToSlash(filepath.Clean(root))
	}
	display := func(rel string) string {
		if prefix == "" {
			return rel
		}
		return path.Join(prefix, rel)
	}
	if !info.IsDir() {
		// An explicitly named file is scanned if its language is known,
		// even when it looks like a test; AuthPaths still apply to its name.
		lang := languageOf(root)
		name := filepath.Base(root)
		if lang == nil || auth.match(name) {
			return nil, nil
		}
		abs, err := filepath.Abs(root)
		if err != nil {
			return nil, fmt.Errorf("scan: root %q: %w", root, err)
		}
		d := name
		if prefix != "" {
			d = prefix
		}
		return []fileJob{{abs: abs, display: d, lang: lang}}, nil
	}
	absRoot, err := filepath.Abs(root)
	if err == nil {
		absRoot, err = filepath.EvalSymlinks(absRoot) // WalkDir does not follow a symlinked root
	}
	if err != nil {
		return nil, fmt.Errorf("scan: root %q: %w", root, err)
	}
	var jobs []fileJob
	err = filepath.WalkDir(absRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == absRoot {
			return nil
		}
		rel, err := filepath.Rel(absRoot, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if skipDirs[d.Name()] || auth.match(rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // symlinks, devices: not followed
		}
		lang := languageOf(d.Name())
		if lang == nil || !includeTests && isTestFile(rel, lang) || auth.match(rel) {
			return nil
		}
		jobs = append(jobs, fileJob{abs: p, display: display(rel), lang: lang})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan: %s: %w", root, err)
	}
	return jobs, nil
}

func isTestFile(rel string, lang *language) bool {
	dir, base := path.Split(rel)
	dirs := strings.Split(strings.TrimSuffix(dir, "/"), "/")
	return lang.isTest(base, dirs)
}

// scanFile reads and analyses one file. toks is a reusable buffer.
func scanFile(job fileJob, toks []token) (fileResult, []token) {
	f, err := os.Open(job.abs)
	if err != nil {
		return fileResult{err: fmt.Errorf("scan: %w", err)}, toks
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fileResult{err: fmt.Errorf("scan: %w", err)}, toks
	}
	if st.Size() > MaxFileSize {
		return fileResult{skipped: true}, toks
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return fileResult{err: fmt.Errorf("scan: %s: %w", job.abs, err)}, toks
	}
	if len(data) > MaxFileSize {
		return fileResult{skipped: true}, toks
	}
	src := string(data)
	toks = toks[:0]
	toks = job.lang.lex(src, toks)
	findings, defs := analyze(job.lang, src, toks)
	for i := range defs {
		defs[i].snippet = makeSnippet(src, defs[i].off)
	}
	return fileResult{lines: countLines(src), findings: findings, defs: defs}, toks
}

func countLines(src string) int {
	n := strings.Count(src, "\n")
	if len(src) > 0 && src[len(src)-1] != '\n' {
		n++
	}
	return n
}

// authMatcher decides whether a root-relative slash path is in the auth
// service.
type authMatcher []string

func newAuthMatcher(patterns []string) (authMatcher, error) {
	var m authMatcher
	for _, p := range patterns {
		q := strings.TrimPrefix(path.Clean(filepath.ToSlash(p)), "./")
		if q == "**" || q == "." || q == "" {
			m = append(m, "**")
			continue
		}
		q = strings.TrimSuffix(q, "/**")
		if _, err := path.Match(q, ""); err != nil {
			return nil, fmt.Errorf("scan: bad auth path pattern %q: %w", p, err)
		}
		m = append(m, q)
	}
	return m, nil
}

// match reports whether rel or one of its leading directories matches a
// pattern.
func (m authMatcher) match(rel string) bool {
	for _, p := range m {
		if p == "**" {
			return true
		}
		if ok, _ := path.Match(p, rel); ok {
			return true
		}
		for i := 0; i < len(rel); i++ {
			if rel[i] == '/' {
				if ok, _ := path.Match(p, rel[:i]); ok {
					return true
				}
			}
		}
	}
	return false
}
