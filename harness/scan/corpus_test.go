package scan

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The labelled corpus is every source file under testdata: the sample
// trees python/, go/, js/, ts/ and the realistic multi-language tree
// corpus/ (a Python backend, a Go gateway, a JS worker and a TS web app,
// each with one module per shape issue #16 lists, clean decoys, an auth
// service, test code, vendored code and a backup copy). A line says what
// the scanner must find on it with a trailing comment:
//
//	x = os.environ["JWT_SECRET"]  # want: secret_read
//	def verify_token(t):  # low: validator_name
//	jwt = resp.content  # ok
//	return jwt.verify(t, JWT_SECRET)  // want: jwt_operation; low: secret_mention
//	def f():  # want@+2: jwt_operation
//
// "want" lists the findings at the default confidence, "low" those that
// appear only with --min-confidence low, "ok" marks a decoy that must
// produce nothing, and @+n puts the label on the line n below (inside a
// multi-line string, where a comment cannot go). A rule listed twice is
// expected twice. Any finding on an unlabelled line is a false positive;
// files that are skipped (auth, tests, vendored) carry no labels.

// corpusOpts is the scan the labels are written for.
func corpusOpts(conf Confidence) Options {
	return Options{
		Root:          "testdata",
		AuthPaths:     []string{"*/auth/**", "**/auth_service/**"},
		MinConfidence: conf,
	}
}

var labelRE = regexp.MustCompile(`(?:#|//)\s*((?:want|low)(?:@\+\d+)?:[^#/]*|ok)\s*$`)

// lineLabels is what one line expects.
type lineLabels struct {
	want, low []Rule
}

// readLabels parses the labels of every source file under root, keyed by
// root-relative slash path and line.
func readLabels(t *testing.T, root string) map[string]map[int]*lineLabels {
	t.Helper()
	out := map[string]map[int]*lineLabels{}
	known := map[Rule]bool{}
	for _, ri := range rules {
		known[ri.Rule] = true
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || languageOf(p) == nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		for n, line := range strings.Split(string(b), "\n") {
			m := labelRE.FindStringSubmatch(line)
			if m == nil || m[1] == "ok" {
				continue
			}
			for _, clause := range strings.Split(m[1], ";") {
				head, list, ok := strings.Cut(strings.TrimSpace(clause), ":")
				if !ok {
					t.Fatalf("%s:%d: bad label %q", rel, n+1, clause)
				}
				at := n + 1
				kind, off, _ := strings.Cut(head, "@+")
				if off != "" {
					k, err := strconv.Atoi(off)
					if err != nil {
						t.Fatalf("%s:%d: bad label offset %q", rel, n+1, off)
					}
					at += k
				}
				if out[rel] == nil {
					out[rel] = map[int]*lineLabels{}
				}
				ll := out[rel][at]
				if ll == nil {
					ll = &lineLabels{}
					out[rel][at] = ll
				}
				for _, r := range strings.Split(list, ",") {
					rule := Rule(strings.TrimSpace(r))
					if !known[rule] {
						t.Fatalf("%s:%d: unknown rule %q in label", rel, n+1, rule)
					}
					if kind == "want" {
						ll.want = append(ll.want, rule)
					} else {
						ll.low = append(ll.low, rule)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// langOf names the corpus language of a path: Python, Go, JavaScript or
// TypeScript.
func langOf(p string) string {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".py":
		return "python"
	case ".go":
		return "go"
	case ".ts", ".tsx", ".mts", ".cts":
		return "typescript"
	}
	return "javascript"
}

// score is one cell of the precision/recall table.
type score struct{ tp, fp, fn int }

func (s score) precision() float64 {
	if s.tp+s.fp == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fp)
}

func (s score) recall() float64 {
	if s.tp+s.fn == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fn)
}

type cell struct {
	lang string
	rule Rule
}

// evaluate compares a scan with the labels: expected findings per
// (path, line, rule) are the "want" labels, plus the "low" ones when low
// is set. It returns the scores and a description of every mismatch.
func evaluate(r Result, labels map[string]map[int]*lineLabels, low bool) (map[cell]score, []string) {
	type key struct {
		path string
		line int
		rule Rule
	}
	expect, got := map[key]int{}, map[key]int{}
	for p, lines := range labels {
		for n, ll := range lines {
			for _, rule := range ll.want {
				expect[key{p, n, rule}]++
			}
			if low {
				for _, rule := range ll.low {
					expect[key{p, n, rule}]++
				}
			}
		}
	}
	for _, f := range r.Findings {
		got[key{f.Path, f.Line, f.Rule}]++
	}
	scores := map[cell]score{}
	var miss []string
	all := map[key]bool{}
	for k := range expect {
		all[k] = true
	}
	for k := range got {
		all[k] = true
	}
	for k := range all {
		c := cell{langOf(k.path), k.rule}
		s := scores[c]
		e, g := expect[k], got[k]
		tp := min(e, g)
		s.tp += tp
		s.fp += g - tp
		s.fn += e - tp
		scores[c] = s
		if e != g {
			miss = append(miss, fmt.Sprintf("%s:%d %s: expected %d, found %d", k.path, k.line, k.rule, e, g))
		}
	}
	slices.Sort(miss)
	return scores, miss
}

// minSupport is how many labelled findings each rule needs in each
// language for its precision and recall to mean something: the default
// rules at default confidence, the low rules at low confidence.
var minSupport = map[Rule]int{
	RuleJWTImport: 5, RuleJWTOperation: 5, RuleSecretRead: 5, RuleDuplicateValidator: 5,
	RuleValidatorName: 2, RuleSecretMention: 5,
}

// TestCorpusPrecisionRecall is issue #16's acceptance test: on the
// labelled corpus, every rule scores at least 95% precision and 95% recall
// in each of Python, Go, JavaScript and TypeScript — the default rules at
// the default confidence, the low-confidence rules with MinConfidence low.
func TestCorpusPrecisionRecall(t *testing.T) {
	labels := readLabels(t, "testdata")
	langs := []string{"python", "go", "javascript", "typescript"}
	for _, run := range []struct {
		name  string
		conf  Confidence
		rules []Rule
	}{
		{"default", DefaultMinConfidence, []Rule{RuleJWTImport, RuleJWTOperation, RuleSecretRead, RuleDuplicateValidator}},
		{"low", ConfidenceLow, []Rule{RuleJWTImport, RuleJWTOperation, RuleSecretRead, RuleDuplicateValidator, RuleValidatorName, RuleSecretMention}},
	} {
		t.Run(run.name, func(t *testing.T) {
			r := scanOK(t, []string{"testdata"}, corpusOpts(run.conf))
			scores, miss := evaluate(r, labels, run.conf == ConfidenceLow)
			var table strings.Builder
			fmt.Fprintf(&table, "%-20s %-11s %5s %5s %5s %9s %7s\n", "rule", "language", "TP", "FP", "FN", "precision", "recall")
			for _, rule := range run.rules {
				for _, lang := range langs {
					s := scores[cell{lang, rule}]
					fmt.Fprintf(&table, "%-20s %-11s %5d %5d %5d %8.1f%% %6.1f%%\n", rule, lang, s.tp, s.fp, s.fn, 100*s.precision(), 100*s.recall())
					if s.precision() < 0.95 || s.recall() < 0.95 {
						t.Errorf("%s in %s: precision %.1f%%, recall %.1f%% (want >= 95%% each)", rule, lang, 100*s.precision(), 100*s.recall())
					}
					if s.tp+s.fn < minSupport[rule] {
						t.Errorf("%s in %s: only %d labelled findings; the corpus needs at least %d", rule, lang, s.tp+s.fn, minSupport[rule])
					}
				}
			}
			t.Logf("precision and recall, confidence %s and above:\n%s", run.conf, table.String())
			for _, m := range miss {
				t.Errorf("mismatch: %s", m)
			}
			for c, s := range scores {
				if !slices.Contains(run.rules, c.rule) && s.tp+s.fp > 0 {
					t.Errorf("%s in %s: %d findings of a rule hidden at this confidence", c.rule, c.lang, s.tp+s.fp)
				}
			}
		})
	}
}

// TestCorpusSkips checks what the corpus run skips and why: the auth
// service (**/auth_service/** and */auth/**), test code (tests/,
// __tests__/, test_framework/, testutil/, *_test.go, conftest.py, specs),
// and vendored or generated code (node_modules/, vendor/, dist/ and the
// backup_2023/ copy), none of it read.
func TestCorpusSkips(t *testing.T) {
	r := scanOK(t, []string{"testdata"}, corpusOpts(ConfidenceLow))
	for _, f := range r.Findings {
		top := strings.SplitN(f.Path, "/", 3)
		if len(top) > 2 && top[1] == "auth" {
			t.Errorf("finding in the auth service: %s:%d %s", f.Path, f.Line, f.Rule)
		}
		for _, skipped := range []string{"/auth_service/", "/tests/", "/__tests__/", "/test_framework/", "/testutil/",
			"/node_modules/", "/vendor/", "/dist/", "/backup_2023/", "_test.go", "conftest.py", ".spec.", ".test."} {
			if strings.Contains(f.Path, skipped) {
				t.Errorf("finding in skipped code: %s:%d %s", f.Path, f.Line, f.Rule)
			}
		}
	}
	want := FileCounts{Scanned: 40, Tests: 10, Auth: 7, Vendored: 5}
	if r.Files != want {
		t.Errorf("files %+v, want %+v", r.Files, want)
	}
}
