package scan

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// MaxFileSize is the size above which a file is skipped unread.
const MaxFileSize = 2 << 20

// Options configures Scan.
type Options struct {
	// Root is the repository root: finding paths, AuthPaths and TestPaths
	// are relative to it. Empty means FindRoot of the first scanned path.
	// Every scanned path must be inside it.
	Root string
	// AuthPaths are doublestar globs (** is any number of directories,
	// zero included) on slash paths relative to Root, or absolute paths
	// inside it. Files they match, or that are below a directory they
	// match, are the auth service: never read, never reported. A pattern
	// that matches no file is an error (*PatternError).
	AuthPaths []string
	// TestPaths are globs like AuthPaths naming more test code, on top of
	// the built-in rules: Python test_*.py, *_test.py, *_tests.py,
	// conftest.py; Go *_test.go; JS/TS *.test.*, *.spec.*, *.e2e.*; and
	// anything below a directory named test, tests, testing, testdata,
	// __tests__, __mocks__, e2e, spec, specs, testutil, testutils,
	// testhelpers, mocks, fakes, or test_*, test-*, *_test(s), *-test(s)
	// (test_framework, integration_tests).
	TestPaths []string
	// IncludeTests also scans test code.
	IncludeTests bool
	// MinConfidence leaves out findings below it (counted in
	// Result.Hidden). Empty means DefaultMinConfidence.
	MinConfidence Confidence
}

type fileJob struct {
	abs     string
	display string
	lang    *language
}

type fileResult struct {
	skipped   bool // over MaxFileSize
	generated bool // says it is generated
	lines     int
	findings  []Finding
	funcs     []funcInfo
	err       error
}

// Scan scans the files below paths (directories or single files) for JWT
// code outside opts.AuthPaths. A path that does not exist or is outside
// the root is an error naming it, as is a malformed pattern or one that
// matches no file, and a file or directory that cannot be read. Scan stops
// between files when ctx is cancelled and returns ctx's error. Files are
// read by a bounded pool of GOMAXPROCS workers; the result is
// deterministic whatever the concurrency.
func Scan(ctx context.Context, paths []string, opts Options) (Result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if len(paths) == 0 {
		return Result{}, errors.New("scan: no paths to scan")
	}
	minConf := opts.MinConfidence
	if minConf == "" {
		minConf = DefaultMinConfidence
	}
	if _, err := ParseConfidence(string(minConf)); err != nil {
		return Result{}, fmt.Errorf("scan: %w", err)
	}
	root, err := resolveRoot(opts.Root, paths[0])
	if err != nil {
		return Result{}, err
	}
	auth, err := newGlobSet("auth path", root, opts.AuthPaths)
	if err != nil {
		return Result{}, err
	}
	tests, err := newGlobSet("test path", root, opts.TestPaths)
	if err != nil {
		return Result{}, err
	}
	w := &walker{ctx: ctx, root: root, auth: auth, tests: tests, includeTests: opts.IncludeTests, seen: map[string]bool{}}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		if err := w.add(p); err != nil {
			return Result{}, err
		}
	}
	if err := auth.unmatched(root); err != nil {
		return Result{}, err
	}
	if err := tests.unmatched(root); err != nil {
		return Result{}, err
	}

	jobs := w.jobs
	results := make([]fileResult, len(jobs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(jobs), 1)) {
		wg.Go(func() {
			var buf scanBuffers
			for {
				k := int(next.Add(1) - 1)
				if k >= len(jobs) || ctx.Err() != nil {
					return
				}
				results[k] = scanFile(jobs[k], &buf)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}

	res := Result{Root: root, MinConfidence: minConf, Files: w.counts}
	order := make([]int, 0, len(jobs)) // scanned files, by path
	nFindings, nFuncs := 0, 0
	for k, fr := range results {
		switch {
		case fr.err != nil:
			return Result{}, fr.err
		case fr.skipped:
			res.Files.TooLarge++
			continue
		case fr.generated:
			res.Files.Vendored++
			continue
		}
		res.Files.Scanned++
		res.LinesScanned += fr.lines
		nFindings += len(fr.findings)
		nFuncs += len(fr.funcs)
		order = append(order, k)
	}
	slices.SortFunc(order, func(x, y int) int { return cmp.Compare(jobs[x].display, jobs[y].display) })
	sites := make([]funcSite, 0, nFuncs)
	for _, k := range order {
		for i := range results[k].funcs {
			sites = append(sites, funcSite{funcInfo: &results[k].funcs[i], path: jobs[k].display, file: k})
		}
	}
	// Each file's findings are sorted and fingerprinted by its worker;
	// files in path order are globally sorted. The few validator findings
	// that need the whole scan are sorted apart and merged in.
	files := make([][]Finding, len(results))
	for k := range results {
		files[k] = results[k].findings
	}
	vf := validatorFindings(sites, files)
	sortFindings(vf)
	res.Findings = make([]Finding, 0, nFindings+len(vf))
	keep := func(f *Finding) {
		if f.Confidence.rank() < minConf.rank() {
			res.Hidden++
			return
		}
		res.Findings = append(res.Findings, *f)
	}
	v := 0
	for _, k := range order {
		fs := results[k].findings
		for v < len(vf) && vf[v].Path < jobs[k].display { // from files with no findings of their own
			keep(&vf[v])
			v++
		}
		if (v == len(vf) || vf[v].Path != jobs[k].display) && allAtLeast(fs, minConf) {
			res.Findings = append(res.Findings, fs...) // the usual case: one copy
			continue
		}
		for i := range fs {
			for v < len(vf) && compareFindings(&vf[v], &fs[i]) < 0 {
				keep(&vf[v])
				v++
			}
			keep(&fs[i])
		}
	}
	for ; v < len(vf); v++ {
		keep(&vf[v])
	}
	res.ByRule = countByRule(res.Findings)
	return res, nil
}

// allAtLeast: no finding of fs is below conf.
func allAtLeast(fs []Finding, conf Confidence) bool {
	r := conf.rank()
	for i := range fs {
		if fs[i].Confidence.rank() < r {
			return false
		}
	}
	return true
}

// resolveRoot makes the repository root absolute and real, defaulting it.
func resolveRoot(root, first string) (string, error) {
	if root == "" {
		r, err := FindRoot(first)
		if err != nil {
			return "", fmt.Errorf("scan: %w", err)
		}
		return r, nil
	}
	r, err := realPath(root)
	if err != nil {
		return "", fmt.Errorf("scan: root %q: %w", root, err)
	}
	if st, err := os.Stat(r); err != nil || !st.IsDir() {
		return "", fmt.Errorf("scan: root %q is not a directory", root)
	}
	return r, nil
}

// sortFindings sorts by path, line, column, rule and message: report order.
func sortFindings(fs []Finding) {
	slices.SortFunc(fs, func(x, y Finding) int { return compareFindings(&x, &y) })
}

func compareFindings(x, y *Finding) int {
	return cmp.Or(cmp.Compare(x.Path, y.Path), cmp.Compare(x.Line, y.Line), cmp.Compare(x.Column, y.Column),
		cmp.Compare(ruleRank(x.Rule), ruleRank(y.Rule)), cmp.Compare(x.Message, y.Message))
}

// walker lists the files to scan below the scanned paths and counts the
// ones it skips.
type walker struct {
	ctx          context.Context
	root         string
	auth, tests  *globSet
	includeTests bool
	counts       FileCounts
	jobs         []fileJob
	seen         map[string]bool // absolute paths already listed or counted
}

// add walks one scanned path.
func (w *walker) add(p string) error {
	abs, err := realPath(p)
	if err != nil {
		return fmt.Errorf("scan: path %q: %w", p, err)
	}
	rel, err := filepath.Rel(w.root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("scan: path %q is %w %s (set the root)", p, errOutsideRoot, w.root)
	}
	rel = filepath.ToSlash(rel)
	if rel == "." {
		rel = ""
	}
	st, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("scan: path %q: %w", p, err)
	}
	c := classScan
	if w.auth.matchWithin(rel) {
		c = classAuth
	}
	if !st.IsDir() {
		// A file named on its own is scanned if its language is known,
		// even when its name says test or generated; AuthPaths apply.
		w.file(abs, rel, c)
		return nil
	}
	if c == classScan && w.tests.matchWithin(rel) {
		c = classTest
	}
	if err := w.dir(abs, rel, c); err != nil {
		return fmt.Errorf("scan: %s: %w", p, err)
	}
	return nil
}

func (w *walker) dir(abs, rel string, c class) error {
	entries, err := os.ReadDir(abs)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		name := e.Name()
		childRel := name
		if rel != "" {
			childRel = rel + "/" + name
		}
		childAbs := filepath.Join(abs, name)
		if e.IsDir() {
			if vcsDirs[name] {
				continue
			}
			cc := w.classify(childRel, c, vendoredDir(name), testDir(name))
			if err := w.dir(childAbs, childRel, cc); err != nil {
				return err
			}
			continue
		}
		if !e.Type().IsRegular() {
			continue // symlinks, devices: not followed
		}
		lang := languageOf(name)
		cc := w.classify(childRel, c, generatedFile(name), lang != nil && lang.isTestFile(name))
		if lang != nil {
			w.file(childAbs, childRel, cc)
		}
	}
	return nil
}

// classify decides the class of an entry in a directory of class c. The
// auth patterns win; then what the directory already is; then vendored
// and test by name and the test patterns.
func (w *walker) classify(rel string, c class, vendored, test bool) class {
	inAuth := w.auth.match(rel)
	inTests := w.tests.match(rel)
	switch {
	case inAuth || c == classAuth:
		return classAuth
	case c == classVendored:
		return classVendored
	case vendored:
		return classVendored
	case c == classTest || test || inTests:
		return classTest
	}
	return classScan
}

// file lists or counts one source file.
func (w *walker) file(abs, rel string, c class) {
	if w.seen[abs] {
		return
	}
	w.seen[abs] = true
	lang := languageOf(abs)
	if lang == nil {
		return
	}
	if c == classTest && w.includeTests {
		c = classScan
	}
	switch c {
	case classAuth:
		w.counts.Auth++
	case classVendored:
		w.counts.Vendored++
	case classTest:
		w.counts.Tests++
	default:
		display := rel
		if display == "" {
			display = path.Base(filepath.ToSlash(abs))
		}
		w.jobs = append(w.jobs, fileJob{abs: abs, display: display, lang: lang})
	}
}

// scanBuffers are a worker's buffers, reused from file to file.
type scanBuffers struct {
	data []byte
	toks []token
	seen map[[16]byte]int // fingerprint ordinals
	analysisBuffers
}

// scanFile reads and analyses one file.
func scanFile(job fileJob, buf *scanBuffers) fileResult {
	f, err := os.Open(job.abs)
	if err != nil {
		return fileResult{err: fmt.Errorf("scan: %w", err)}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fileResult{err: fmt.Errorf("scan: %w", err)}
	}
	if st.Size() > MaxFileSize {
		return fileResult{skipped: true}
	}
	b := bytes.NewBuffer(buf.data[:0])
	b.Grow(int(st.Size()) + bytes.MinRead)
	if _, err := b.ReadFrom(io.LimitReader(f, MaxFileSize+1)); err != nil {
		return fileResult{err: fmt.Errorf("scan: %s: %w", job.display, err)}
	}
	buf.data = b.Bytes()
	if len(buf.data) > MaxFileSize {
		return fileResult{skipped: true}
	}
	src := string(buf.data)
	if generatedHeader(src) {
		return fileResult{generated: true}
	}
	buf.toks = job.lang.lex(src, buf.toks[:0])
	findings, funcs := analyze(job.lang, src, buf.toks, &buf.analysisBuffers)
	for i := range findings {
		findings[i].Path = job.display
	}
	if buf.seen == nil {
		buf.seen = map[[16]byte]int{}
	}
	assignFingerprintsWith(findings, buf.seen)
	return fileResult{lines: countLines(src), findings: findings, funcs: funcs}
}

func countLines(src string) int {
	n := strings.Count(src, "\n")
	if len(src) > 0 && src[len(src)-1] != '\n' {
		n++
	}
	return n
}
