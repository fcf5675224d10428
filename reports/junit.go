package reports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// JUnit layout: the common schema CI systems read (Jenkins, GitLab, GitHub
// test reporters, Buildkite): testsuites > testsuite > testcase, with a
// failure, error or skipped child for a case that did not pass.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Timestamp  string          `xml:"timestamp,attr,omitempty"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []junitCase     `xml:"testcase"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitProblem `xml:"failure"`
		Error     *junitProblem `xml:"error"`
		Skipped   *junitSkipped `xml:"skipped"`
	}
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		// Body is CDATA so that its lines read as lines in the raw file.
		Body string `xml:",cdata"`
	}
	junitSkipped struct {
		Message string `xml:"message,attr,omitempty"`
	}
)

const (
	// junitSuiteName names the one suite and is every case's classname, so
	// that CI groups gpcheck's cases together.
	junitSuiteName = "gpcheck"
	// junitMessageMax bounds a failure's message attribute, which CI shows
	// inline; the body and report.json carry the rest.
	junitMessageMax = 300
	// junitBodyFindings bounds the findings listed in a failure's body.
	junitBodyFindings = 20
	// junitRunCase names the case added when the run itself did not pass
	// but no spec case shows it (an error before any spec ran, say), so
	// that a JUnit consumer never reads a broken run as green.
	junitRunCase = "gpcheck run"
)

// JUnit renders r as JUnit XML, redacted: one testcase per spec, sorted by
// name. A failed spec carries a <failure> whose type lists its findings'
// kinds and whose body lists its first findings; a skipped or pending spec
// carries <skipped/>; a spec that ended any other way (interrupted,
// panicked, timed out, aborted) carries an <error>. Passed specs have no
// body. Run-wide facts (seed, target, faults, verdict, completion) are the
// suite's properties.
func JUnit(r *Report, secrets ...string) ([]byte, error) {
	if r == nil {
		return nil, errors.New("junit: nil report")
	}
	r = redacted(r, secrets)

	byspec := map[string][]Finding{}
	for _, f := range r.Findings {
		byspec[f.Spec] = append(byspec[f.Spec], f)
	}

	suite := junitSuite{
		Name:       junitSuiteName,
		Time:       seconds(r.DurationMS),
		Properties: junitProperties(r),
	}
	if !r.StartedAt.IsZero() {
		// The schema's timestamp has no zone; it is UTC.
		suite.Timestamp = r.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}
	for _, sp := range sortedSpecs(r.Specs) {
		c := junitCase{Name: sp.Name, Classname: junitSuiteName, Time: seconds(sp.DurationMS)}
		switch sp.State {
		case "passed":
		case "failed":
			c.Failure = junitFailure(sp, byspec[sp.Name])
			suite.Failures++
		case "skipped", "pending":
			c.Skipped = &junitSkipped{Message: trim(oneLine(sp.Failure), junitMessageMax)}
			suite.Skipped++
		default:
			p := junitFailure(sp, byspec[sp.Name])
			p.Type = sp.State
			if p.Type == "" {
				p.Type = "unknown"
			}
			c.Error = p
			suite.Errors++
		}
		suite.Cases = append(suite.Cases, c)
	}
	if !r.Passed() && suite.Failures+suite.Errors == 0 {
		msg := r.Error
		if msg == "" {
			msg = "run verdict: " + r.Verdict
		}
		suite.Cases = append(suite.Cases, junitCase{
			Name: junitRunCase, Classname: junitSuiteName, Time: seconds(r.DurationMS),
			Error: &junitProblem{Message: trim(oneLine(msg), junitMessageMax), Type: "verdict_" + r.Verdict},
		})
		suite.Errors++
	}
	suite.Tests = len(suite.Cases)

	doc := junitSuites{
		Name: junitSuiteName, Tests: suite.Tests, Failures: suite.Failures,
		Errors: suite.Errors, Skipped: suite.Skipped, Time: suite.Time,
		Suites: []junitSuite{suite},
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode junit: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// junitProperties are the run-wide facts a CI reader needs to replay or
// judge the run.
func junitProperties(r *Report) []junitProperty {
	return []junitProperty{
		{"tool", strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version)},
		{"seed", strconv.FormatUint(r.Config.Seed, 10)},
		{"target.kind", r.Target.Kind},
		{"faults", strings.Join(r.Target.Faults, ",")},
		{"verdict", r.Verdict},
		{"completion", completionText(r.Completion)},
	}
}

// junitFailure is the failure element of spec sp, whose findings are fs:
// type lists the findings' kinds, message says why in one short line, and
// the body lists the first findings one per line.
func junitFailure(sp Spec, fs []Finding) *junitProblem {
	kinds := map[string]bool{}
	for _, f := range fs {
		kinds[f.Kind] = true
	}
	typ := strings.Join(sortedKeys(kinds), ",")
	if typ == "" {
		typ = "failure"
	}
	msg := sp.Failure
	if strings.TrimSpace(msg) == "" {
		msg = fmt.Sprintf("%d finding(s)", len(fs))
	}
	var body strings.Builder
	for i, f := range fs {
		if i == junitBodyFindings {
			fmt.Fprintf(&body, "… and %d more finding(s) in report.json\n", len(fs)-junitBodyFindings)
			break
		}
		body.WriteString(findingLine(f))
		body.WriteByte('\n')
	}
	return &junitProblem{Message: trim(oneLine(msg), junitMessageMax), Type: typ, Body: xmlChars(body.String())}
}

// findingLine is f on one line: "F0001 isolation_leak u0003 (stream): detail".
func findingLine(f Finding) string {
	var b strings.Builder
	b.WriteString(f.ID)
	for _, s := range []string{f.Kind, f.User} {
		if s != "" {
			b.WriteByte(' ')
			b.WriteString(s)
		}
	}
	if f.Stage != "" {
		b.WriteString(" (" + f.Stage + ")")
	}
	b.WriteString(": ")
	b.WriteString(trim(oneLine(f.Detail), junitMessageMax))
	return strings.TrimSpace(b.String())
}

// xmlChars replaces every character XML 1.0 does not allow (most control
// characters, say from a captured frame) with U+FFFD, as encoding/xml does
// for text it escapes but not for CDATA.
func xmlChars(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}

// Shared by every writer.

// redacted returns a deep copy of r with every string passed through
// Redact, so that a writer may format any field without thinking about
// tokens or secrets. Redacting fields rather than output also catches a
// secret that output escaping (XML, HTML, Markdown) would have disguised.
func redacted(r *Report, secrets []string) *Report {
	red := func(s string) string { return Redact(s, secrets...) }
	reds := func(ss []string) []string {
		if ss == nil {
			return nil
		}
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = red(s)
		}
		return out
	}
	c := *r
	c.Tool = Tool{Name: red(r.Tool.Name), Version: red(r.Tool.Version)}
	c.Verdict = red(r.Verdict)
	c.Error = red(r.Error)
	c.Target = Target{
		Kind: red(r.Target.Kind), AuthURL: red(r.Target.AuthURL), BackendURL: red(r.Target.BackendURL),
		WSURL: red(r.Target.WSURL), Faults: reds(r.Target.Faults),
	}
	c.Config.LabelFilter = red(r.Config.LabelFilter)
	c.Config.Shard = red(r.Config.Shard)
	c.Config.UserMode = red(r.Config.UserMode)
	c.Config.Origin = red(r.Config.Origin)
	c.Config.Shards = reds(r.Config.Shards)
	c.Stages = make([]Stage, len(r.Stages))
	for i, s := range r.Stages {
		s.Name = red(s.Name)
		c.Stages[i] = s
	}
	c.Specs = make([]Spec, len(r.Specs))
	for i, s := range r.Specs {
		s.Name, s.State, s.Failure, s.Labels = red(s.Name), red(s.State), red(s.Failure), reds(s.Labels)
		c.Specs[i] = s
	}
	c.Findings = make([]Finding, len(r.Findings))
	for i, f := range r.Findings {
		c.Findings[i] = Finding{
			ID: red(f.ID), Kind: red(f.Kind), Spec: red(f.Spec), User: red(f.User),
			Stage: red(f.Stage), Path: red(f.Path), Detail: red(f.Detail), Evidence: reds(f.Evidence),
		}
	}
	if r.FindingsByKind != nil {
		c.FindingsByKind = make(map[string]int, len(r.FindingsByKind))
		for k, n := range r.FindingsByKind {
			c.FindingsByKind[red(k)] += n
		}
	}
	if r.Probes != nil {
		c.Probes = make([]ProbeTable, len(r.Probes))
		for i, p := range r.Probes {
			np := ProbeTable{Name: red(p.Name), Columns: reds(p.Columns), Rows: make([][]string, len(p.Rows))}
			for j, row := range p.Rows {
				np.Rows[j] = reds(row)
			}
			c.Probes[i] = np
		}
	}
	if r.TokenMatrix != nil {
		m := &TokenMatrix{Paths: reds(r.TokenMatrix.Paths), Rows: make([]MatrixRow, len(r.TokenMatrix.Rows))}
		for i, row := range r.TokenMatrix.Rows {
			nr := MatrixRow{ID: red(row.ID), Name: red(row.Name), How: red(row.How), Want: red(row.Want), Skipped: red(row.Skipped)}
			if row.Cells != nil {
				nr.Cells = make(map[string]string, len(row.Cells))
				for k, v := range row.Cells {
					nr.Cells[red(k)] = red(v)
				}
			}
			m.Rows[i] = nr
		}
		c.TokenMatrix = m
	}
	return &c
}

// WriteAll writes every report file into dir, each atomically:
// report.json, junit.xml, report.html and summary.md. It writes every file
// it can even when another fails, and returns the paths it wrote with the
// joined errors of those it did not.
func WriteAll(dir string, r *Report, secrets ...string) ([]string, error) {
	if r == nil {
		return nil, errors.New("write reports: nil report")
	}
	var paths []string
	var errs []error
	if p, err := WriteJSON(dir, r, secrets...); err != nil {
		errs = append(errs, fmt.Errorf("report.json: %w", err))
	} else {
		paths = append(paths, p)
	}
	for _, w := range []struct {
		name   string
		render func(*Report, ...string) ([]byte, error)
	}{
		{"junit.xml", JUnit},
		{"report.html", HTML},
		{"summary.md", Markdown},
	} {
		b, err := w.render(r, secrets...)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", w.name, err))
			continue
		}
		p := filepath.Join(dir, w.name)
		if err := WriteFileAtomic(p, b); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", w.name, err))
			continue
		}
		paths = append(paths, p)
	}
	return paths, errors.Join(errs...)
}

// seconds formats milliseconds as the seconds JUnit's time attributes want.
func seconds(ms int64) string {
	return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)
}

// percent formats a percentage without trailing zeros: 100, 99.5, 99.99.
func percent(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64) + "%"
}

// completionText is c in one line: "99.5% (199/200), target 100%".
func completionText(c Completion) string {
	return fmt.Sprintf("%s (%d/%d), target %s", percent(c.Rate), c.Completed, c.Attempted, percent(c.Target))
}

// trim shortens s to at most n characters (runes), marking a cut with "…".
func trim(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	return strings.TrimSpace(string(rs[:n-1])) + "…"
}

// oneLine folds every run of white space in s, newlines included, into one
// space, for places that show a single line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// sortedKeys returns m's keys in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// durationText formats milliseconds for people: "1m2.5s", "350ms".
func durationText(ms int64) string {
	return (time.Duration(ms) * time.Millisecond).String()
}
