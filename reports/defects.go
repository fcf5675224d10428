package reports

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Defect is one cause, as far as gpcheck can tell from outside: the
// findings that share a signature (kind, spec, stage or path, and what
// the check says happened, with ids, counts and users taken out). One
// routing bug seen by 30 users is one defect of 870 findings, not 870
// problems; a developer starts from its example and, for a leak, from who
// received whose data (Leaks).
type Defect struct {
	// ID is "D1", "D2", … in the order reports show defects: worst
	// severity first, then most findings. `gpcheck repro --finding`
	// accepts it and replays the example.
	ID       string   `json:"id"`
	Kind     Kind     `json:"kind"`
	Severity Severity `json:"severity"`
	Spec     string   `json:"spec"`
	Stage    string   `json:"stage,omitempty"`
	Path     string   `json:"path,omitempty"`
	// Title says what happened, in the check's words, with the ids that
	// differ from finding to finding taken out (a lone finding's detail as
	// it is).
	Title string `json:"title"`
	// Count is how many findings the defect groups.
	Count int `json:"count"`
	// Users are the virtual users the findings are about (the receivers
	// of a leak), sorted.
	Users []string `json:"users,omitempty"`
	// FirstSeen and LastSeen bound when its findings were observed, where
	// the checks recorded it.
	FirstSeen *time.Time `json:"first_seen,omitempty"`
	LastSeen  *time.Time `json:"last_seen,omitempty"`
	// Findings are the ids of every finding of the defect, in order.
	Findings []string `json:"findings"`
	// Example is the id of the finding whose evidence shows the defect
	// best (the most evidence, then the first).
	Example string `json:"example"`
	// Leaks, for an isolation leak, say who received whose data: one
	// entry per owner → receiver pair, with how many times.
	Leaks []Leak `json:"leaks,omitempty"`
	// Shape names the leaks' pattern: "broadcast" (most receivers got
	// most owners' data), "pairwise" (each receiver got one owner's, and
	// the other way round), "one stray" (a single pair) or "scattered".
	Shape string `json:"shape,omitempty"`
	// Traces are the traces of the flows the defect's findings involve,
	// the example's first, each trace once and at most MaxDefectTraces of
	// them (every finding keeps its own): where a developer starts in the
	// platform's tracing UI.
	Traces []TraceRef `json:"traces,omitempty"`
}

// MaxDefectTraces bounds Defect.Traces: a broadcast leak involves every
// user's flow, and a report lists the few a developer opens.
const MaxDefectTraces = 20

// Leak is one cell of an isolation leak's who-received-whose matrix.
type Leak struct {
	Owner    string `json:"owner"`
	Receiver string `json:"receiver"`
	Count    int    `json:"count"`
}

// signature is what findings of one defect share.
func (f *Finding) signature() string {
	title := f.Group
	if title == "" {
		title = Normalize(f.Detail)
	}
	return strings.Join([]string{string(f.Kind), f.Spec, f.Stage, f.Path, title}, "\x00")
}

// Normalize takes out of a finding's detail what differs between findings
// of one defect: canaries, ids, user labels, quoted values and numbers.
func Normalize(s string) string {
	for _, r := range normalizers {
		s = r.re.ReplaceAllString(s, r.with)
	}
	return s
}

var normalizers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`"[^"]*"`), `"…"`},
	{regexp.MustCompile(`gpc-[A-Za-z0-9-]+`), "‹canary›"},
	{regexp.MustCompile(`req-[A-Za-z0-9-]+`), "‹request›"},
	{regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`), "‹id›"},
	{regexp.MustCompile(`\b(?:[a-z]+_)?[0-9a-fA-F]{12,}\b`), "‹id›"},
	{regexp.MustCompile(`\bu[0-9]{4}\b(?: \([^)]*\))?`), "‹user›"},
	{regexp.MustCompile(`[0-9]+(?:\.[0-9]+)?`), "#"},
}

// GroupDefects builds r.Defects from r.Findings (which must have their
// ids and severities) and records each finding's defect. Settle calls it;
// call it only on a report whose findings were put together otherwise.
func (r *Report) GroupDefects() {
	type group struct {
		d       *Defect
		members []*Finding
	}
	var order []*group
	bySig := map[string]*group{}
	for i := range r.Findings {
		f := &r.Findings[i]
		sig := f.signature()
		g := bySig[sig]
		if g == nil {
			title := f.Group
			if title == "" {
				title = Normalize(f.Detail)
			}
			g = &group{d: &Defect{Kind: f.Kind, Severity: f.Severity, Spec: f.Spec, Stage: f.Stage, Path: f.Path, Title: title}}
			bySig[sig] = g
			order = append(order, g)
		}
		g.members = append(g.members, f)
	}
	defects := make([]Defect, 0, len(order)) // [], never null
	for _, g := range order {
		d := g.d
		users := map[string]bool{}
		leaks := map[[2]string]int{}
		best := -1
		for _, f := range g.members {
			d.Count++
			d.Findings = append(d.Findings, f.ID)
			if f.Severity.rank() > d.Severity.rank() {
				d.Severity = f.Severity
			}
			if f.VUser != "" {
				users[f.VUser] = true
			}
			if !f.At.IsZero() {
				at := f.At
				if d.FirstSeen == nil || at.Before(*d.FirstSeen) {
					d.FirstSeen = &at
				}
				if d.LastSeen == nil || at.After(*d.LastSeen) {
					d.LastSeen = &at
				}
			}
			if len(f.Evidence) > best {
				best, d.Example = len(f.Evidence), f.ID
			}
			if f.Kind == KindIsolationLeak && f.VUser != "" {
				for _, o := range f.Others {
					leaks[[2]string{o, f.VUser}] += max(1, f.Count)
				}
			}
		}
		if d.Count == 1 && g.members[0].Group == "" {
			d.Title = g.members[0].Detail // nothing to generalise over
		}
		d.Users = sortedKeys(users)
		for k, n := range leaks {
			d.Leaks = append(d.Leaks, Leak{Owner: k[0], Receiver: k[1], Count: n})
		}
		sort.Slice(d.Leaks, func(i, j int) bool {
			a, b := d.Leaks[i], d.Leaks[j]
			if a.Owner != b.Owner {
				return a.Owner < b.Owner
			}
			return a.Receiver < b.Receiver
		})
		d.Shape = LeakShape(d.Leaks)
		d.Traces = defectTraces(g.members, d.Example)
		defects = append(defects, *d)
	}
	sort.SliceStable(defects, func(i, j int) bool {
		a, b := defects[i], defects[j]
		if a.Severity.rank() != b.Severity.rank() {
			return a.Severity.rank() > b.Severity.rank()
		}
		return a.Count > b.Count
	})
	byFinding := map[string]string{}
	for i := range defects {
		defects[i].ID = fmt.Sprintf("D%d", i+1)
		for _, id := range defects[i].Findings {
			byFinding[id] = defects[i].ID
		}
	}
	for i := range r.Findings {
		r.Findings[i].Defect = byFinding[r.Findings[i].ID]
	}
	r.Defects = defects
}

// LeakShape names the pattern of an isolation leak's matrix: "broadcast"
// when at least half of the receivers got data of at least half of the
// owners (and there are three or more of each), "pairwise" when every
// receiver got one owner's data and every owner reached one receiver,
// "one stray" for a single pair, "scattered" otherwise, and "" for no
// leak.
func LeakShape(leaks []Leak) string {
	if len(leaks) == 0 {
		return ""
	}
	if len(leaks) == 1 {
		return "one stray"
	}
	perOwner, perReceiver := map[string]int{}, map[string]int{}
	for _, l := range leaks {
		perOwner[l.Owner]++
		perReceiver[l.Receiver]++
	}
	one := func(m map[string]int) bool {
		for _, n := range m {
			if n != 1 {
				return false
			}
		}
		return true
	}
	if one(perOwner) && one(perReceiver) {
		return "pairwise"
	}
	if len(perOwner) >= 3 && len(perReceiver) >= 3 {
		wide := 0
		for _, n := range perReceiver {
			if 2*n >= len(perOwner) {
				wide++
			}
		}
		if 2*wide >= len(perReceiver) {
			return "broadcast"
		}
	}
	return "scattered"
}

// defectTraces gathers the traces of a defect's findings: the example's
// first, then the others' in order, each trace id once, at most
// MaxDefectTraces.
func defectTraces(members []*Finding, example string) []TraceRef {
	var out []TraceRef
	seen := map[string]bool{}
	add := func(f *Finding) {
		for _, t := range f.Traces {
			if len(out) < MaxDefectTraces && !seen[t.TraceID] {
				seen[t.TraceID] = true
				out = append(out, t)
			}
		}
	}
	for _, f := range members {
		if f.ID == example {
			add(f)
		}
	}
	for _, f := range members {
		add(f)
	}
	return out
}

// DefectByID returns the defect with id, or false.
func (r *Report) DefectByID(id string) (Defect, bool) {
	for _, d := range r.Defects {
		if d.ID == id {
			return d, true
		}
	}
	return Defect{}, false
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
