// Package reports is gpcheck's report model: what one run was asked to do
// (RunSpec) and what it found (Report). It writes nothing and imports
// nothing of the harness; the writers that turn a Report into files live
// in reports/reporters, run history in reports/history.
package reports

import (
	"fmt"
	"time"
)

// SchemaVersion is the version of report.json's layout. It changes only
// when a field changes meaning or goes away; new fields keep it.
//
// Version 2 replaced version 1's "config" (durations in milliseconds) by
// "spec", the whole RunSpec (durations as Go duration strings), and
// renamed nothing else. Version 3 groups findings into defects: every
// finding names its defect ("defect") and "defects" lists them, with the
// ids of their findings; a reader may rely on both. ReadJSON still reads
// versions 1 and 2 (grouping their findings as it reads them).
const SchemaVersion = 3

// Kind is what kind of violation a finding is.
type Kind string

// Finding kinds.
const (
	KindStageFailure   Kind = "stage_failure"
	KindIsolationLeak  Kind = "isolation_leak"
	KindIdentity       Kind = "identity_mismatch"
	KindTokenVerdict   Kind = "token_verdict_mismatch"
	KindTokenAccepted  Kind = "token_accepted"
	KindProtocol       Kind = "protocol_violation"
	KindCompletionRate Kind = "completion_below_target"

	// The attack-surface kinds (specs labelled idor, websocket-security,
	// order, and the session lifecycle under revocation).

	// KindIDOR: a user's request for another user's object by id (REST or
	// a user_message's thread_id) is answered differently from a request
	// for an id that does not exist, or a listing or agent answer holds
	// another user's objects.
	KindIDOR Kind = "idor"
	// KindOriginAccepted: the gateway upgrades a handshake from an Origin
	// that is not the allowed one (foreign, lookalike, other scheme, null,
	// malformed).
	KindOriginAccepted Kind = "origin_accepted"
	// KindOrderDependent: after a valid token warmed every path, a path's
	// verdict on a later token differs from the auth service's (cold)
	// verdict, or a burst of invalid tokens changed a valid token's fate.
	KindOrderDependent Kind = "order_dependent_verdict"
	// KindKeyFetched: a rejected token's jku, x5u or kid made a service
	// fetch from a URL the harness listens on.
	KindKeyFetched Kind = "remote_key_fetched"
	// KindSessionNotEnded: a session outlived its end: a refresh token
	// that still works after logout or after being used, a deleted user's
	// token accepted, or an open connection that keeps running after
	// logout.
	KindSessionNotEnded Kind = "session_not_ended"

	// KindInconclusive is not a violation: it marks a check that could
	// not be judged (a transport error, a timeout, an answer that does not
	// parse, an unexpected status, a path that does not exist). Checks
	// return such records among their findings; Settle moves them into
	// Report.Inconclusive, so Report.Findings holds violations only.
	KindInconclusive Kind = "inconclusive"
)

// Severity says how bad a violation is.
type Severity string

// The severities, worst first.
const (
	// SeverityCritical: another user's data or identity, or a forged or
	// alg-none token accepted anywhere.
	SeverityCritical Severity = "critical"
	// SeverityHigh: a revoked, expired or refresh token accepted after it
	// should not be, cross-user object access, a foreign Origin accepted.
	SeverityHigh Severity = "high"
	// SeverityMedium: the golden path failing, a path refusing what the
	// auth service accepts, protocol violations.
	SeverityMedium Severity = "medium"
	// SeverityAdvisory: an observation where the standards allow more than
	// one behaviour; never fails a run unless --fail-on advisory.
	SeverityAdvisory Severity = "advisory"
)

// Severities lists the severities, worst first.
func Severities() []Severity {
	return []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityAdvisory}
}

// ParseSeverity reads a severity by name.
func ParseSeverity(s string) (Severity, error) {
	for _, v := range Severities() {
		if string(v) == s {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown severity %q (want critical, high, medium or advisory)", s)
}

// AtLeast reports whether s is as bad as min or worse.
func (s Severity) AtLeast(min Severity) bool { return s.rank() >= min.rank() }

func (s Severity) rank() int {
	switch s {
	case SeverityCritical:
		return 3
	case SeverityHigh:
		return 2
	case SeverityAdvisory:
		return 0
	}
	return 1
}

// DefaultSeverity is the severity of a finding of kind k whose check set
// none.
func DefaultSeverity(k Kind) Severity {
	switch k {
	case KindIsolationLeak, KindIdentity, KindTokenAccepted, KindKeyFetched:
		return SeverityCritical
	case KindIDOR, KindOriginAccepted, KindOrderDependent, KindSessionNotEnded:
		return SeverityHigh
	}
	return SeverityMedium
}

// Kinds lists every finding kind, in the order reports show them.
func Kinds() []Kind {
	return []Kind{KindStageFailure, KindIsolationLeak, KindIdentity, KindTokenVerdict, KindTokenAccepted, KindProtocol,
		KindCompletionRate, KindIDOR, KindOriginAccepted, KindOrderDependent, KindKeyFetched, KindSessionNotEnded}
}

// Verdict is a run's outcome.
type Verdict string

// The verdicts. Settle decides between passed, failed and interrupted;
// error is set by whoever could not carry the run out.
const (
	VerdictPassed      Verdict = "passed"
	VerdictFailed      Verdict = "failed"
	VerdictInterrupted Verdict = "interrupted"
	VerdictError       Verdict = "error"
	// VerdictInconclusive: no violation was proven, but some checks
	// could not be judged (Report.Inconclusive says which and why).
	VerdictInconclusive Verdict = "inconclusive"
)

// State is one spec's outcome, as Ginkgo names it.
type State string

// The spec states.
const (
	StatePassed      State = "passed"
	StateSkipped     State = "skipped"
	StatePending     State = "pending"
	StateFailed      State = "failed"
	StatePanicked    State = "panicked"
	StateInterrupted State = "interrupted"
	StateAborted     State = "aborted"
	StateTimedout    State = "timedout"
)

// Failed reports whether s is a failure of the spec itself (not a skip,
// and not the run being cut short).
func (s State) Failed() bool {
	switch s {
	case StatePassed, StateSkipped, StatePending, StateInterrupted, StateAborted, StateTimedout:
		return false
	}
	return true
}

// CutShort reports whether the spec did not run to its end because the
// run was interrupted, aborted or timed out.
func (s State) CutShort() bool {
	return s == StateInterrupted || s == StateAborted || s == StateTimedout
}

// Report is the whole outcome of one run.
type Report struct {
	SchemaVersion int          `json:"schema_version"`
	Tool          Tool         `json:"tool"`
	Verdict       Verdict      `json:"verdict"`
	StartedAt     time.Time    `json:"started_at"`
	DurationMS    int64        `json:"duration_ms"`
	Target        SUT          `json:"target"`
	Spec          RunSpec      `json:"spec"`
	Completion    Completion   `json:"completion"`
	Stages        []Stage      `json:"stages"`
	Specs         []SpecReport `json:"specs"`
	// Defects group Findings by cause (see Defect), worst first: what
	// reports lead with.
	Defects  []Defect  `json:"defects"`
	Findings []Finding `json:"findings"`
	// FindingsByKind counts Findings per kind.
	FindingsByKind map[Kind]int `json:"findings_by_kind"`
	// Inconclusive are the checks that could not be judged, each with its
	// reason; none of them is a violation, and a run with no violation
	// but some of these is neither passed nor failed.
	Inconclusive []Finding `json:"inconclusive,omitempty"`
	// TokenMatrix is every token case's verdict on every path, when the
	// tokens spec ran.
	TokenMatrix *TokenMatrix `json:"token_matrix,omitempty"`
	// Probes are the attack-surface specs' cases and verdicts, one table
	// per spec that ran, in the order they ran.
	Probes []ProbeTable `json:"probes,omitempty"`
	// Heartbeats are the golden-path load's periodic samples (flows, flow
	// rate, completion so far, gpcheck's memory), oldest first: a soak
	// run's series, so that a leak in gpcheck or the platform shows as a
	// trend. Absent when the load ended before the first heartbeat.
	Heartbeats []Heartbeat `json:"heartbeats,omitempty"`
	// Tracing says how the run traced its flows, when it did; the
	// findings' and defects' Traces hold the ids.
	Tracing *Tracing `json:"tracing,omitempty"`
	// Error says why a run ended in "error" or "interrupted".
	Error string `json:"error,omitempty"`
}

// Tool names the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// SUT says what system was tested. It holds no secret: URLs are
// recorded without their userinfo.
type SUT struct {
	Kind       string   `json:"kind"`
	AuthURL    string   `json:"auth_url"`
	BackendURL string   `json:"backend_url"`
	WSURL      string   `json:"ws_url"`
	Faults     []string `json:"faults,omitempty"`
	// ClockOffset is how far the auth service's clock was ahead of
	// gpcheck's (negative: behind), when it was off by two seconds or more;
	// time-dependent cases were built by the service's clock.
	ClockOffset Duration `json:"clock_offset,omitempty"`
	// Unreached are the services preflight could not reach although the
	// selected specs do without them ("backend: <why>"): their paths were
	// left out of every comparison.
	Unreached []string `json:"unreached,omitempty"`
}

// Completion is the golden path's completion rate against its target.
type Completion struct {
	Attempted int `json:"attempted"`
	Completed int `json:"completed"`
	// Rate is Completed/Attempted in percent, floored to two decimals so
	// that it is never 100 while anything failed.
	Rate float64 `json:"rate"`
	// Target is the minimum rate, in percent, for the run to pass.
	Target float64 `json:"target"`
	// FailureBound is the upper bound, in percent, of the failure rate at
	// Confidence (percent) that these counts show (FailureBound): 20/20
	// completed shows a failure rate below 13.92% at 95%.
	FailureBound float64 `json:"failure_bound,omitempty"`
	Confidence   float64 `json:"confidence,omitempty"`
	// MaxFailureRate, when set, is the failure rate (percent) the run must
	// show at Confidence: the golden path then passes on FailureBound, not
	// on Rate against Target.
	MaxFailureRate float64 `json:"max_failure_rate,omitempty"`
	// Partial is set when the run was interrupted: the counts are of the
	// flows that had finished, and the rate proves nothing about the rest.
	Partial bool `json:"partial,omitempty"`
}

// Stage is one golden-path stage's tally and latency.
type Stage struct {
	Name      string  `json:"name"`
	Attempted int     `json:"attempted"`
	Failed    int     `json:"failed"`
	P50MS     float64 `json:"p50_ms"`
	P90MS     float64 `json:"p90_ms"`
	P99MS     float64 `json:"p99_ms"`
	// Histogram counts the stage's latencies in log-spaced buckets, so that
	// shards' latencies add up: a merged report's percentiles are the
	// histogram's (at most one bucket above the exact ones), not the
	// largest of the shards'. Absent when the stage timed nothing, and in
	// reports written before it existed.
	Histogram *Histogram `json:"histogram,omitempty"`
}

// SpecReport is one spec's outcome.
type SpecReport struct {
	// ID is the spec's short id in the spec registry (`gpcheck list specs`).
	ID         string   `json:"id,omitempty"`
	Name       string   `json:"name"`
	Labels     []string `json:"labels"`
	State      State    `json:"state"`
	DurationMS int64    `json:"duration_ms"`
	Findings   int      `json:"findings"`
	// Inconclusive counts the spec's checks that could not be judged.
	Inconclusive int    `json:"inconclusive,omitempty"`
	Failure      string `json:"failure,omitempty"`
}

// Failed reports whether the spec did not pass: it failed, or it holds
// findings.
func (s SpecReport) Failed() bool { return s.State.Failed() || s.Findings > 0 }

// Finding is one violation, attributed to a spec and, where it applies, a
// user and a stage.
type Finding struct {
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// Severity is how bad the violation is; Settle sets the kind's
	// default where the check set none.
	Severity Severity `json:"severity,omitempty"`
	Spec     string   `json:"spec"`
	// User names the user the finding is about, for people: the virtual
	// user and the system's id for it, "u0003 (01a2…)".
	User string `json:"user,omitempty"`
	// VUser is the virtual user of User alone ("u0003"), stable from run
	// to run with the same seed: what a replay matches on.
	VUser string `json:"vuser,omitempty"`
	// Others are the other virtual users the finding involves (the owner
	// of a leaked canary, say), by VUser.
	Others []string `json:"others,omitempty"`
	// Shard is the shard ("i/n") of a sharded run that reported the
	// finding, whose user User is: set by the isolation check of a
	// sharded run, and by report merge on every finding.
	Shard string `json:"shard,omitempty"`
	// OtherShards are the shards ("i/n") that drive Others, in the same
	// order, when the run was sharded: an isolation leak names the
	// owner's shard as well as the receiver's (Shard).
	OtherShards []string `json:"other_shards,omitempty"`
	// Stage is the golden-path stage a stage_failure happened at.
	Stage string `json:"stage,omitempty"`
	// Path is the path (auth validate, backend profile, ws handshake, …)
	// a token finding is about.
	Path   string `json:"path,omitempty"`
	Detail string `json:"detail"`
	// Evidence holds excerpts (frames, answers) that show the finding.
	Evidence []string `json:"evidence,omitempty"`
	// Group, when the check sets it, says what happened in words shared
	// by every finding of the same cause; findings are grouped into
	// defects by it (by their Detail, ids and numbers taken out, when it
	// is empty).
	Group string `json:"group,omitempty"`
	// Count is how many times the violation was seen (frames that leaked,
	// say); 0 means once.
	Count int `json:"count,omitempty"`
	// At is when the violation was observed, where the check knows.
	At time.Time `json:"at,omitzero"`
	// Defect is the id of the defect the finding belongs to (Settle).
	Defect string `json:"defect,omitempty"`
	// Traces are the traces of the flows the finding involves (the
	// user's, and each of Others'), when the run traced its flows: paste
	// an id into the platform's tracing UI to see what its services did
	// for that user. Absent when tracing was off or the finding involves
	// no flow.
	Traces []TraceRef `json:"traces,omitempty"`
}

// TraceRef is one virtual user's flow as the platform's tracing system
// knows it: the W3C trace id every request of the flow carried and the id
// of the flow's root span.
type TraceRef struct {
	// VUser is the virtual user whose flow it is ("u0003").
	VUser string `json:"vuser"`
	// Role says what the flow is to the finding: "user" (the user it is
	// about), "receiver" and "owner" (of a leak: who received whose
	// data), or "other".
	Role string `json:"role,omitempty"`
	// TraceID is the 32 hex digits of the W3C trace id.
	TraceID string `json:"trace_id"`
	// SpanID is the 16 hex digits of the flow's root span.
	SpanID string `json:"span_id"`
}

// Tracing says how a run traced its flows (see README, "Tracing"):
// absent when it did not.
type Tracing struct {
	// Mode is "otlp" (spans and metrics exported over OTLP/HTTP) or
	// "propagate" (W3C trace context sent on every request, nothing
	// exported: --traceparent-only).
	Mode string `json:"mode"`
	// ExportError is the first export failure, when there was one: the
	// collector missed some spans or metrics, the run itself was not
	// affected (export never slows or fails a run).
	ExportError string `json:"export_error,omitempty"`
}

// Passed reports whether the report's verdict is a pass.
func (r *Report) Passed() bool { return r.Verdict == VerdictPassed }

// TokenMatrix is the differential token matrix: cases × paths.
type TokenMatrix struct {
	// Paths are the columns, the auth service's validate first.
	Paths []string    `json:"paths"`
	Rows  []MatrixRow `json:"rows"`
}

// MatrixRow is one token case and each path's verdict on it.
type MatrixRow struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	How  string `json:"how"`
	// Want is the verdict a conforming system gives: accept or reject.
	Want string `json:"want"`
	// Skipped says why the case did not run, if it did not.
	Skipped string `json:"skipped,omitempty"`
	// Cells maps a path to its verdict: "accept:<user>", "accept" or
	// "reject:<code>".
	Cells map[string]string `json:"cells,omitempty"`
}

// ProbeTable is one attack-surface spec's cases and what each path
// answered: a plain table, so that any writer can show it.
type ProbeTable struct {
	// Name names the spec or the part of it the table covers.
	Name string `json:"name"`
	// Columns are the table's headings.
	Columns []string `json:"columns"`
	// Rows hold one cell per column; a cell never holds a whole token.
	Rows [][]string `json:"rows"`
}
