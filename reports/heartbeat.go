package reports

import "time"

// Heartbeat is one periodic sample of a running golden-path load: how far
// it got, how fast, how well, and how much memory gpcheck held. A soak
// run (`--duration 1h`) prints one a line at a time and keeps the series
// in Report.Heartbeats, so that a leak in gpcheck or in the platform
// shows while it happens and stays on record.
type Heartbeat struct {
	// At is when the sample was taken.
	At time.Time `json:"at"`
	// ElapsedMS is the time since the load started.
	ElapsedMS int64 `json:"elapsed_ms"`
	// Attempted and Completed count the counted users' flows that had
	// finished by At (completed or failed), as Completion counts them.
	Attempted int `json:"attempted"`
	Completed int `json:"completed"`
	// Rate is Completed/Attempted in percent, floored (FloorRate); 0
	// before any flow finished.
	Rate float64 `json:"rate"`
	// FlowsPerSecond is the flows that finished since the previous
	// heartbeat (or the start), per second.
	FlowsPerSecond float64 `json:"flows_per_second"`
	// UsersDone and Users are the counted users that had finished all
	// their flows, of all this run's (or shard's) counted users.
	UsersDone int `json:"users_done"`
	Users     int `json:"users"`
	// RSSBytes is gpcheck's resident set size (VmRSS on Linux; elsewhere
	// the Go runtime's memory mapped from the system, its closest
	// portable measure).
	RSSBytes uint64 `json:"rss_bytes"`
	// Shard is the shard ("i/n") that took the sample, in a merged report.
	Shard string `json:"shard,omitempty"`
}
