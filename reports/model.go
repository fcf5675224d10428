// Package reports holds gpcheck's report model and the writers that turn it
// into files. The model is what a run found; writers only format it.
package reports

import (
	"time"
)

// SchemaVersion is the version of report.json's layout. It changes only
// when a field changes meaning or goes away; new fields keep it.
const SchemaVersion = 1

// Finding kinds.
const (
	KindStageFailure   = "stage_failure"
	KindIsolationLeak  = "isolation_leak"
	KindIdentity       = "identity_mismatch"
	KindTokenVerdict   = "token_verdict_mismatch"
	KindTokenAccepted  = "token_accepted"
	KindProtocol       = "protocol_violation"
	KindCompletionRate = "completion_below_target"

	// The attack-surface kinds (specs labelled idor, websocket-security,
	// order, and the session lifecycle under revocation).

	// KindIDOR: a user's request for another user's object by id (REST or
	// a user_message's thread_id) is answered differently from a request
	// for an id that does not exist, or a listing or agent answer holds
	// another user's objects.
	KindIDOR = "idor"
	// KindOriginAccepted: the gateway upgrades a handshake from an Origin
	// that is not the allowed one (foreign, lookalike, other scheme, null,
	// malformed).
	KindOriginAccepted = "origin_accepted"
	// KindOrderDependent: after a valid token warmed every path, a path's
	// verdict on a later token differs from the auth service's (cold)
	// verdict, or a burst of invalid tokens changed a valid token's fate.
	KindOrderDependent = "order_dependent_verdict"
	// KindKeyFetched: a rejected token's jku, x5u or kid made a service
	// fetch from a URL the harness listens on.
	KindKeyFetched = "remote_key_fetched"
	// KindSessionNotEnded: a session outlived its end: a refresh token
	// that still works after logout or after being used, a deleted user's
	// token accepted, or an open connection that keeps running after
	// logout.
	KindSessionNotEnded = "session_not_ended"
)

// Report is the whole outcome of one run.
type Report struct {
	SchemaVersion int        `json:"schema_version"`
	Tool          Tool       `json:"tool"`
	Verdict       string     `json:"verdict"` // "passed", "failed", "interrupted" or "error"
	StartedAt     time.Time  `json:"started_at"`
	DurationMS    int64      `json:"duration_ms"`
	Target        Target     `json:"target"`
	Config        Config     `json:"config"`
	Completion    Completion `json:"completion"`
	Stages        []Stage    `json:"stages"`
	Specs         []Spec     `json:"specs"`
	Findings      []Finding  `json:"findings"`
	// FindingsByKind counts Findings per kind.
	FindingsByKind map[string]int `json:"findings_by_kind"`
	// TokenMatrix is every token case's verdict on every path, when the
	// tokens spec ran.
	TokenMatrix *TokenMatrix `json:"token_matrix,omitempty"`
	// Probes are the attack-surface specs' cases and verdicts, one table
	// per spec that ran, in the order they ran.
	Probes []ProbeTable `json:"probes,omitempty"`
	// Error says why a run ended in "error" or "interrupted".
	Error string `json:"error,omitempty"`
}

// Tool names the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Target says what was tested. It holds no secret.
type Target struct {
	Kind       string   `json:"kind"`
	AuthURL    string   `json:"auth_url"`
	BackendURL string   `json:"backend_url"`
	WSURL      string   `json:"ws_url"`
	Faults     []string `json:"faults,omitempty"`
}

// Config is what shaped the run: enough to replay it.
type Config struct {
	Users         int     `json:"users"`
	Concurrency   int     `json:"concurrency"`
	Messages      int     `json:"messages"`
	Seed          uint64  `json:"seed"`
	LabelFilter   string  `json:"label_filter,omitempty"`
	MinCompletion float64 `json:"min_completion"`
	TimeoutMS     int64   `json:"timeout_ms"`
	// RampMS and DurationMS are the load shape's ramp and duration.
	RampMS     int64 `json:"ramp_ms,omitempty"`
	DurationMS int64 `json:"duration_ms,omitempty"`
	// UserMode is how test users were obtained: register or bypass.
	UserMode string `json:"user_mode,omitempty"`
	// Origin is the Origin header the run's WebSocket handshakes sent,
	// when one was given.
	Origin string `json:"origin,omitempty"`
	// Shard is "i/n" when the run was one shard of a larger run.
	Shard string `json:"shard,omitempty"`
	// Shards lists the shards a merged report was made from.
	Shards []string `json:"shards,omitempty"`
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
}

// Stage is one golden-path stage's tally and latency.
type Stage struct {
	Name      string  `json:"name"`
	Attempted int     `json:"attempted"`
	Failed    int     `json:"failed"`
	P50MS     float64 `json:"p50_ms"`
	P90MS     float64 `json:"p90_ms"`
	P99MS     float64 `json:"p99_ms"`
}

// Spec is one spec's outcome.
type Spec struct {
	Name       string   `json:"name"`
	Labels     []string `json:"labels"`
	State      string   `json:"state"` // passed, failed, skipped, interrupted, ...
	DurationMS int64    `json:"duration_ms"`
	Findings   int      `json:"findings"`
	Failure    string   `json:"failure,omitempty"`
}

// Finding is one violation, attributed to a spec and, where it applies, a
// user and a stage.
type Finding struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Spec string `json:"spec"`
	User string `json:"user,omitempty"`
	// Stage is the golden-path stage a stage_failure happened at.
	Stage string `json:"stage,omitempty"`
	// Path is the path (auth validate, backend profile, ws handshake, …)
	// a token finding is about.
	Path   string `json:"path,omitempty"`
	Detail string `json:"detail"`
	// Evidence holds excerpts (frames, answers) that show the finding.
	Evidence []string `json:"evidence,omitempty"`
}

// Passed reports whether the report's verdict is a pass.
func (r *Report) Passed() bool { return r.Verdict == "passed" }

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
