// Package layers states which of gpcheck's packages may import which, and
// checks an import graph against it. Data flows one way — cmd → engine →
// suites → harness → report model — and the reference services in
// fixtures depend on nothing of the harness but the profile leaf. `make
// lint` runs this package's test over the real graph (`go list`), as
// Kubernetes does with its import restrictions.
package layers

import (
	"fmt"
	"sort"
	"strings"
)

// Rule says what the packages under Dir may import from this module.
// Dir and each of May name a folder relative to the module root; "x/..."
// means x and everything under it, "x" means x alone.
type Rule struct {
	Dir string
	May []string
}

// Rules are gpcheck's layers, from the top. The rule of the longest Dir
// that holds a package applies to it; a package no rule holds may import
// nothing of the module.
func Rules() []Rule {
	return []Rule{
		{"cmd/...", []string{"engine/...", "suites", "harness/...", "reports/...", "fixtures/..."}},
		{"engine/...", []string{"engine/...", "suites", "harness/...", "reports/...", "fixtures/..."}},
		{"suites", []string{"harness/...", "reports"}},
		{"fixtures/...", []string{"fixtures/...", "harness/profile"}},
		{"harness/...", []string{"harness/...", "reports"}},
		{"harness/profile", nil},
		{"reports/reporters", []string{"reports", "reports/internal/..."}},
		{"reports/history", []string{"reports", "reports/internal/..."}},
		{"reports/ci", []string{"reports", "reports/reporters", "reports/internal/..."}},
		{"reports/internal/...", []string{"reports", "reports/internal/..."}},
		{"reports", nil},
		{"internal/...", nil},
	}
}

// Check returns one line per import that breaks rules, sorted; none means
// the graph keeps its layers. imports maps each package (relative to the
// module root, "." for the root) to the module packages it imports.
func Check(rules []Rule, imports map[string][]string) []string {
	var bad []string
	for pkg, deps := range imports {
		r, ok := ruleFor(rules, pkg)
		for _, d := range deps {
			if d == pkg {
				continue
			}
			if !ok {
				bad = append(bad, fmt.Sprintf("%s imports %s: no layer rule holds %s", pkg, d, pkg))
				continue
			}
			if !allowed(r.May, d) {
				bad = append(bad, fmt.Sprintf("%s imports %s: %s may import only %s", pkg, d, r.Dir, mayText(r.May)))
			}
		}
	}
	sort.Strings(bad)
	return bad
}

func ruleFor(rules []Rule, pkg string) (Rule, bool) {
	best, found := Rule{}, false
	for _, r := range rules {
		if matches(r.Dir, pkg) && (!found || len(strings.TrimSuffix(r.Dir, "/...")) > len(strings.TrimSuffix(best.Dir, "/..."))) {
			best, found = r, true
		}
	}
	return best, found
}

func allowed(may []string, dep string) bool {
	for _, m := range may {
		if matches(m, dep) {
			return true
		}
	}
	return false
}

// matches reports whether pattern ("x" or "x/...") holds pkg.
func matches(pattern, pkg string) bool {
	if dir, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == dir || strings.HasPrefix(pkg, dir+"/")
	}
	return pkg == pattern
}

func mayText(may []string) string {
	if len(may) == 0 {
		return "nothing of this module"
	}
	return strings.Join(may, ", ")
}
