// Package suites holds gpcheck's Ginkgo specs. They are defined by Run,
// bound to one run's configuration, so that the same specs run in-process
// from `gpcheck run`, from `go test ./suites` and from `ginkgo ./suites`.
package suites

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/extensions/globals"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/check"
	"github.com/gpcheck/gpcheck/harness/load"
	"github.com/gpcheck/gpcheck/reports"
)

// Config is one run's configuration.
type Config struct {
	// Env is the target, ready to use.
	Env *harness.Env
	// Load shapes the golden-path run shared by the golden-path, isolation
	// and identity specs.
	Load load.Options
	// MinCompletion is the completion rate, in percent, the golden path
	// needs; 0 means 100.
	MinCompletion float64
	// LabelFilter selects specs with Ginkgo's label-filter syntax; empty
	// keeps the filter of GinkgoConfiguration() (from ginkgo's flags).
	LabelFilter string
	// Focus, when set, runs only the specs with these full names or ids
	// (as reports and `gpcheck list specs` show them), on top of the label
	// filter. Each name is matched whole, literally.
	Focus []string
	// Timeout bounds the whole suite; 0 keeps GinkgoConfiguration()'s.
	Timeout time.Duration
	// Controller, when set, lets the resilience specs stop, pause and cut
	// off the target's services (the containers target); without it they
	// are skipped and say why.
	Controller check.Controller
	// Progress, when set, is told of each virtual user that finishes.
	Progress func(done, total int)
	// FailOn is the least severity that fails a spec; empty means medium.
	FailOn reports.Severity
	// NoColor keeps Ginkgo's reporter from writing colour codes (into a
	// log file, say).
	NoColor bool
	// MaxFailureRate, when set, gates the golden path on the failure-rate
	// bound at Confidence (percent; 0 means 95) instead of MinCompletion.
	MaxFailureRate, Confidence float64
}

// Result is what a run of the specs found.
type Result struct {
	Passed     bool
	Completion reports.Completion
	Stages     []reports.Stage
	Specs      []reports.SpecReport
	Findings   []reports.Finding
	// TokenMatrix is set when the tokens spec ran.
	TokenMatrix *reports.TokenMatrix
	// Probes are the attack-surface specs' probe tables, in spec order.
	Probes []reports.ProbeTable
	// Interrupted is true when the run was cut short by a signal or the
	// suite timeout.
	Interrupted bool
}

// ErrNoSpecs is returned when the label filter selects no spec: an empty
// selection is a mistake, never a pass.
var ErrNoSpecs = errors.New("the label filter selects no spec")

// ErrBadLabelFilter wraps a label filter that does not parse.
var ErrBadLabelFilter = errors.New("bad label filter")

const description = "gpcheck golden path"

// Run defines the specs for cfg and runs them with ginkgo.RunSpecs,
// reporting failures to t. Ginkgo's globals are reset first, so Run may be
// called more than once in a process, though not concurrently.
func Run(ctx context.Context, t ginkgo.GinkgoTestingT, cfg Config) (*Result, error) {
	if cfg.Env == nil {
		return nil, errors.New("suites: no target environment")
	}
	if cfg.MinCompletion == 0 {
		cfg.MinCompletion = 100
	}
	suiteCfg, reporterCfg := ginkgo.GinkgoConfiguration()
	if cfg.LabelFilter != "" {
		suiteCfg.LabelFilter = cfg.LabelFilter
	}
	if _, err := types.ParseLabelFilter(suiteCfg.LabelFilter); err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrBadLabelFilter, suiteCfg.LabelFilter, firstLine(err.Error()))
	}
	if cfg.Timeout > 0 {
		suiteCfg.Timeout = cfg.Timeout
	}
	if len(cfg.Focus) > 0 {
		suiteCfg.FocusStrings = focusStrings(cfg.Focus)
	}
	suiteCfg.RandomizeAllSpecs = false
	if cfg.NoColor {
		reporterCfg.NoColor = true
	}

	globals.Reset()
	gomega.RegisterFailHandler(ginkgo.Fail)
	s := &state{cfg: cfg, ctx: ctx}
	s.define()
	preview := ginkgo.PreviewSpecs(description, suiteCfg, reporterCfg)
	if preview.PreRunStats.SpecsThatWillRun == 0 {
		return nil, fmt.Errorf("%w %q", ErrNoSpecs, suiteCfg.LabelFilter)
	}
	passed := ginkgo.RunSpecs(t, description, suiteCfg, reporterCfg)
	return s.result(passed), nil
}

// Select returns the specs that the label filter and focus (full names or
// ids; none means all) select, in story order, without running anything.
// Ginkgo itself applies the filter, so the selection is exactly what Run
// would run. A filter that does not parse is ErrBadLabelFilter; an empty
// selection is not an error here.
func Select(filter string, focus []string) ([]Info, error) {
	if _, err := types.ParseLabelFilter(filter); err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrBadLabelFilter, filter, firstLine(err.Error()))
	}
	suiteCfg, reporterCfg := ginkgo.GinkgoConfiguration()
	suiteCfg.LabelFilter = filter
	suiteCfg.FocusStrings = focusStrings(focus)
	globals.Reset()
	s := &state{}
	s.define()
	rep := ginkgo.PreviewSpecs(description, suiteCfg, reporterCfg)
	var out []Info
	for _, sr := range storyOrder(rep.SpecReports) {
		if sr.LeafNodeType != types.NodeTypeIt || sr.State == types.SpecStateSkipped {
			continue
		}
		if in, ok := Lookup(sr.FullText()); ok {
			out = append(out, in)
		}
	}
	return out, nil
}

// focusStrings turns spec names or ids into Ginkgo focus strings, each
// matching one spec's whole name literally.
func focusStrings(focus []string) []string {
	var out []string
	for _, name := range focus {
		if in, ok := Lookup(name); ok {
			name = in.Name()
		}
		// Ginkgo matches focus strings against the suite description and
		// the spec's full text, joined by a space.
		out = append(out, "^"+regexp.QuoteMeta(description+" "+name)+"$")
	}
	return out
}

// ansiCodes are terminal colour sequences, which Ginkgo puts in its
// errors; an error message is text wherever it is printed.
var ansiCodes = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

func firstLine(s string) string {
	s = strings.TrimSpace(ansiCodes.ReplaceAllString(s, ""))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// state is one run's shared state; specs write their findings into it.
type state struct {
	cfg Config
	ctx context.Context

	mu       sync.Mutex
	findings []reports.Finding
	comp     reports.Completion
	stages   []reports.Stage
	report   types.Report
	matrix   *reports.TokenMatrix
}

// setMatrix records the token matrix for the report.
func (s *state) setMatrix(rows []check.Row) {
	m := &reports.TokenMatrix{Paths: check.MatrixPaths()}
	for _, r := range rows {
		mr := reports.MatrixRow{ID: r.Case.ID, Name: r.Case.Name, How: r.Case.How, Want: string(r.Case.Want), Skipped: r.Skipped}
		if len(r.Cells) > 0 {
			mr.Cells = map[string]string{}
			for p, c := range r.Cells {
				mr.Cells[p] = reports.Redact(c.String())
			}
		}
		m.Rows = append(m.Rows, mr)
	}
	s.mu.Lock()
	s.matrix = m
	s.mu.Unlock()
}

// failing reports whether fs holds a violation severe enough to fail the
// spec (at least Config.FailOn); inconclusive checks never fail it.
func (s *state) failing(fs []reports.Finding) bool {
	failOn := s.cfg.FailOn
	if failOn == "" {
		failOn = reports.SeverityMedium
	}
	for _, f := range fs {
		if f.Kind == reports.KindInconclusive {
			continue
		}
		sev := f.Severity
		if sev == "" {
			sev = reports.DefaultSeverity(f.Kind)
		}
		if sev.AtLeast(failOn) {
			return true
		}
	}
	return false
}

// record attaches findings to the current spec, both in gpcheck's result
// and as a Ginkgo report entry.
func (s *state) record(fs []reports.Finding) {
	if len(fs) == 0 {
		return
	}
	spec := ginkgo.CurrentSpecReport().FullText()
	s.mu.Lock()
	for i := range fs {
		fs[i].Spec = spec
		s.findings = append(s.findings, fs[i])
	}
	s.mu.Unlock()
	ginkgo.AddReportEntry("findings", summarize(fs))
}

// summarize is the text of a report entry: one line per finding, redacted.
func summarize(fs []reports.Finding) string {
	var b strings.Builder
	for i, f := range fs {
		if i == 20 {
			fmt.Fprintf(&b, "… and %d more\n", len(fs)-20)
			break
		}
		fmt.Fprintf(&b, "%s %s %s: %s\n", f.Kind, f.User, f.Stage, f.Detail)
	}
	return reports.Redact(b.String())
}

// failWith fails the current spec with a one-line summary of fs's
// violations.
func failWith(what string, fs []reports.Finding) {
	byKind := map[reports.Kind]int{}
	var violations []reports.Finding
	for _, f := range fs {
		if f.Kind != reports.KindInconclusive {
			byKind[f.Kind]++
			violations = append(violations, f)
		}
	}
	fs = violations
	var parts []string
	for k, n := range byKind {
		parts = append(parts, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(parts)
	first := ""
	if len(fs) > 0 {
		first = "; first: " + reports.Redact(fs[0].Detail)
	}
	ginkgo.Fail(fmt.Sprintf("%s: %s%s", what, strings.Join(parts, ", "), first))
}

func (s *state) result(passed bool) *Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := &Result{Passed: passed, Completion: s.comp, Stages: s.stages, Findings: s.findings, TokenMatrix: s.matrix}
	counts, unjudged := map[string]int{}, map[string]int{}
	for _, f := range s.findings {
		if f.Kind == reports.KindInconclusive {
			unjudged[f.Spec]++
		} else {
			counts[f.Spec]++
		}
	}
	// Ginkgo shuffles top-level containers; report specs in the order they
	// are defined, which is the order of the golden path's story.
	for _, sr := range storyOrder(s.report.SpecReports) {
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		sp := reports.SpecReport{
			Name:       sr.FullText(),
			Labels:     sr.Labels(),
			State:      reports.State(sr.State.String()),
			DurationMS: sr.RunTime.Milliseconds(),
			Findings:   counts[sr.FullText()],
		}
		sp.Inconclusive = unjudged[sp.Name]
		if in, ok := Lookup(sp.Name); ok {
			sp.ID = in.ID
		}
		if sr.State.Is(types.SpecStateFailureStates) {
			sp.Failure = reports.Redact(firstLine(sr.FailureMessage()))
		}
		if sr.State.Is(types.SpecStateInterrupted | types.SpecStateAborted | types.SpecStateTimedout) {
			res.Interrupted = true
		}
		res.Specs = append(res.Specs, sp)
		res.Probes = append(res.Probes, probesOf(sr)...)
	}
	return res
}

// storyOrder returns the reports in the registry's order (Ginkgo
// shuffles top-level containers).
func storyOrder(in types.SpecReports) types.SpecReports {
	srs := append(types.SpecReports(nil), in...)
	sort.SliceStable(srs, func(i, j int) bool { return rank(srs[i].FullText()) < rank(srs[j].FullText()) })
	return srs
}
