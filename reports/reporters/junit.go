package reporters

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/internal/format"
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

// JUnit renders r as junit.xml: one testcase per spec, sorted by
// name. A failed spec carries a <failure> whose type lists its findings'
// kinds and whose body lists its first findings; a skipped or pending spec
// carries <skipped/>; a spec that ended any other way (interrupted,
// panicked, timed out, aborted) carries an <error>. Passed specs have no
// body. Run-wide facts (seed, target, faults, verdict, completion) are the
// suite's properties. r must already be redacted (reports.Redacted), as
// WriteAll does.
func JUnit(r *reports.Report) ([]byte, error) {
	if r == nil {
		return nil, errors.New("junit: nil report")
	}
	byspec := map[string][]reports.Finding{}
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
		case reports.StatePassed:
			if sp.Inconclusive > 0 {
				// No violation, but checks that could not be judged: an
				// error, as JUnit means it (the test could not run
				// properly), not a failure.
				c.Error = junitUnjudged(sp, unjudgedBySpec(r)[sp.Name])
				suite.Errors++
			}
		case reports.StateFailed:
			c.Failure = junitFailure(sp, byspec[sp.Name])
			suite.Failures++
		case reports.StateSkipped, reports.StatePending:
			c.Skipped = &junitSkipped{Message: trim(oneLine(sp.Failure), junitMessageMax)}
			suite.Skipped++
		default:
			p := junitFailure(sp, byspec[sp.Name])
			p.Type = string(sp.State)
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
			msg = "run verdict: " + string(r.Verdict)
		}
		suite.Cases = append(suite.Cases, junitCase{
			Name: junitRunCase, Classname: junitSuiteName, Time: seconds(r.DurationMS),
			Error: &junitProblem{Message: trim(oneLine(msg), junitMessageMax), Type: "verdict_" + string(r.Verdict)},
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

func unjudgedBySpec(r *reports.Report) map[string][]reports.Finding {
	m := map[string][]reports.Finding{}
	for _, f := range r.Inconclusive {
		m[f.Spec] = append(m[f.Spec], f)
	}
	return m
}

// junitUnjudged is the error element of a spec whose checks could not all
// be judged: the count, and the first reasons.
func junitUnjudged(sp reports.SpecReport, fs []reports.Finding) *junitProblem {
	msg := fmt.Sprintf("%d check(s) could not be judged", sp.Inconclusive)
	var body strings.Builder
	for i, f := range fs {
		if i == junitBodyFindings {
			fmt.Fprintf(&body, "… and %d more\n", len(fs)-i)
			break
		}
		fmt.Fprintf(&body, "%s %s\n", f.ID, oneLine(f.Detail))
	}
	if len(fs) > 0 {
		msg += "; first: " + oneLine(fs[0].Detail)
	}
	return &junitProblem{Message: trim(msg, junitMessageMax), Type: "inconclusive", Body: xmlChars(body.String())}
}

// junitProperties are the run-wide facts a CI reader needs to replay or
// judge the run.
func junitProperties(r *reports.Report) []junitProperty {
	return []junitProperty{
		{"tool", strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version)},
		{"seed", strconv.FormatUint(r.Spec.Seed, 10)},
		{"target.kind", r.Target.Kind},
		{"faults", strings.Join(faults(r), ",")},
		{"verdict", string(r.Verdict)},
		{"completion", completionText(r.Completion)},
	}
}

// junitFailure is the failure element of spec sp, whose findings are fs:
// type lists the findings' kinds, message says why in one short line, and
// the body lists the first findings one per line.
func junitFailure(sp reports.SpecReport, fs []reports.Finding) *junitProblem {
	kinds := map[string]bool{}
	for _, f := range fs {
		kinds[string(f.Kind)] = true
	}
	typ := strings.Join(format.SortedKeys(kinds), ",")
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
func findingLine(f reports.Finding) string {
	var b strings.Builder
	b.WriteString(f.ID)
	for _, s := range []string{string(f.Kind), f.User} {
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
	if len(f.Traces) > 0 {
		b.WriteString(" — traces " + traceList(f.Traces, len(f.Traces)))
	}
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
