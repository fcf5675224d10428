package scan

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// funcSite is a function definition in a scanned file.
type funcSite struct {
	*funcInfo
	path string
	file int // index of the file, for same-file name resolution
}

func (s *funcSite) where() string { return s.path + ":" + strconv.Itoa(s.line) }

// What makes a function a token validator.
type validatorKind uint8

const (
	notValidator validatorKind = iota
	verifies                   // calls a JWT library's decode/verify/parse
	checksHMAC                 // checks an HMAC over a token split on "."
	wraps                      // only wraps a validator
)

// maxWrapDepth bounds how many wrappers of wrappers are followed.
const maxWrapDepth = 16

// kind is what a function is by its own body.
func (fi *funcInfo) kind() validatorKind {
	switch {
	case fi.http:
		return notValidator // the sanctioned client
	case fi.verifies != "":
		return verifies
	case fi.manual:
		return checksHMAC
	}
	return notValidator
}

// maybeWrapper: a short function that is no validator itself but calls
// something, which may turn out to be a validator elsewhere in the scan.
func (fi *funcInfo) maybeWrapper() bool {
	return fi.kind() == notValidator && fi.short && fi.reportable && !fi.http && len(fi.calls) > 0
}

// nameOnly: named like a validator, and not the sanctioned client nor a
// pydantic field validator.
func (fi *funcInfo) nameOnly() bool {
	return fi.named && fi.reportable && !fi.http && !fi.pydantic
}

func (fi *funcInfo) finding(rule Rule, conf Confidence, msg string) Finding {
	return Finding{Rule: rule, Confidence: conf, Line: fi.line, Column: fi.col, Snippet: fi.snippet, Message: msg, line: fi.lineSum}
}

// localFinding is the finding a function's own file decides: a validator
// by its body, or a name-only match that cannot be a wrapper.
func (fi *funcInfo) localFinding() (Finding, bool) {
	switch k := fi.kind(); {
	case k == verifies:
		return fi.finding(RuleDuplicateValidator, ConfidenceHigh,
			"token validator "+fi.name+" decodes or verifies JWTs itself ("+fi.verifies+"()), duplicating the auth service"), true
	case k == checksHMAC:
		return fi.finding(RuleDuplicateValidator, ConfidenceHigh,
			"token validator "+fi.name+" checks a JWT's HMAC signature by hand, duplicating the auth service"), true
	case fi.nameOnly() && !fi.maybeWrapper():
		return fi.nameOnlyFinding(), true
	}
	return Finding{}, false
}

func (fi *funcInfo) nameOnlyFinding() Finding {
	return fi.finding(RuleValidatorName, ConfidenceLow, fi.name+" is named like a token validator but decodes or verifies no JWT (name only)")
}

// validatorFindings completes the validator rules over every function
// definition of the scan (files holds each file's findings, by file index,
// sorted; the findings its analysis decided alone are already there):
//
//   - a function whose body decodes or verifies a JWT with a resolved
//     library call, or checks an HMAC over a token split on ".", is a
//     token validator (duplicate_validator, high), unless it also calls a
//     validation endpoint over HTTP: that is the sanctioned client;
//   - a short function that calls a validator, resolved by name in its
//     own file first and otherwise only when every function of that name
//     in the scan is a validator, only wraps it (duplicate_validator,
//     medium);
//   - any other function named like a validator is validator_name (low),
//     except the sanctioned HTTP client and pydantic field validators.
//
// It returns the findings it adds (wrappers, and name-only matches that
// were possible wrappers), fingerprinted, and appends to the message of
// every validator whose name has more than one validator site the list of
// all of them (siteKey: validate_token and validateToken are one name),
// patching files in place.
func validatorFindings(sites []funcSite, files [][]Finding) []Finding {
	kind := make([]validatorKind, len(sites))
	target := make([]int, len(sites))
	// Index by name only the names a possible wrapper calls: most trees
	// have few short functions calling anything of interest.
	called := map[string]bool{}
	for i := range sites {
		if s := &sites[i]; s.maybeWrapper() {
			for _, c := range s.calls {
				called[c] = true
			}
		}
	}
	byName := map[string][]int{}
	for i := range sites {
		s := &sites[i]
		target[i] = -1
		kind[i] = s.kind()
		if called[s.name] {
			byName[s.name] = append(byName[s.name], i)
		}
	}
	resolve := func(i int, name string) int {
		var same, other []int
		for _, k := range byName[name] {
			if k == i {
				continue
			}
			if sites[k].file == sites[i].file {
				same = append(same, k)
			} else {
				other = append(other, k)
			}
		}
		if len(same) > 0 {
			other = same // a definition in the file is the one called
		}
		for _, k := range other {
			if kind[k] == notValidator {
				return -1 // ambiguous: not every candidate is a validator
			}
		}
		if len(other) == 0 {
			return -1
		}
		return other[0]
	}
	if len(called) > 0 {
		for range maxWrapDepth {
			changed := false
			for i := range sites {
				if kind[i] != notValidator || !sites[i].maybeWrapper() {
					continue
				}
				for _, c := range sites[i].calls {
					if t := resolve(i, c); t >= 0 {
						kind[i], target[i], changed = wraps, t, true
						break
					}
				}
			}
			if !changed {
				break
			}
		}
	}

	// The findings this step adds, and where each site's finding is.
	var extra []Finding
	extraAt := map[int]int{}
	for i := range sites {
		s := &sites[i]
		var f Finding
		switch {
		case kind[i] == wraps:
			t := &sites[target[i]]
			f = s.finding(RuleDuplicateValidator, ConfidenceMedium,
				"token validator "+s.name+" only wraps the token validator "+t.name+" ("+t.where()+")")
		case kind[i] == notValidator && !s.emitted && s.nameOnly():
			f = s.nameOnlyFinding()
		default:
			continue
		}
		f.Path = s.path
		f.Fingerprint = nextFingerprint(&f, files[s.file], extra)
		extraAt[i] = len(extra)
		extra = append(extra, f)
	}

	keys := make([]string, len(sites))
	n := 0
	for i := range sites {
		if kind[i] != notValidator {
			n++
		}
	}
	count := make(map[string]int32, n)
	for i := range sites {
		if kind[i] != notValidator {
			keys[i] = keyOf(sites[i].name)
			count[keys[i]]++
		}
	}
	groups := map[string][]int{} // names with more than one site
	for i := range sites {
		if kind[i] != notValidator && count[keys[i]] > 1 {
			groups[keys[i]] = append(groups[keys[i]], i)
		}
	}
	for _, g := range groups {
		slices.SortFunc(g, func(x, y int) int {
			return cmp.Or(cmp.Compare(sites[x].path, sites[y].path), cmp.Compare(sites[x].line, sites[y].line),
				cmp.Compare(sites[x].col, sites[y].col))
		})
		all := make([]string, len(g))
		for n, k := range g {
			all[n] = sites[k].where()
		}
		suffix := fmt.Sprintf("; defined in %d places: %s", len(g), strings.Join(all, ", "))
		for _, i := range g {
			var f *Finding
			if k, ok := extraAt[i]; ok {
				f = &extra[k]
			} else {
				f = findSite(files[sites[i].file], &sites[i])
			}
			if f == nil {
				continue
			}
			f.Message += suffix
			for _, k := range g {
				if k != i {
					f.Related = append(f.Related, Location{Path: sites[k].path, Line: sites[k].line, Column: sites[k].col})
				}
			}
		}
	}
	return extra
}

// findSite returns the duplicate_validator finding of a validator site in
// its file's sorted findings.
func findSite(fs []Finding, s *funcSite) *Finding {
	k := sort.Search(len(fs), func(k int) bool { return fs[k].Line >= s.line })
	for ; k < len(fs) && fs[k].Line == s.line; k++ {
		if fs[k].Column == s.col && fs[k].Rule == RuleDuplicateValidator {
			return &fs[k]
		}
	}
	return nil
}
