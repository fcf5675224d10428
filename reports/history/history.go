// Package history keeps gpcheck's run history: one JSON line per run in a
// file (`gpcheck run --history FILE`), read back and drawn as a trend
// (`gpcheck report trend FILE`) as text or as a self-contained HTML page.
package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gpcheck/gpcheck/reports"
)

// Version is the version of a history line's layout, with the same
// policy as reports.SchemaVersion: it changes only when a field changes
// meaning or goes away.
const Version = 1

// Entry is one run's summary, one JSON line of a history file. A nightly
// job appends to the file and `gpcheck report trend FILE` draws it.
type Entry struct {
	SchemaVersion int             `json:"schema_version"`
	Time          time.Time       `json:"time"`
	Verdict       reports.Verdict `json:"verdict"`
	Version       string          `json:"version,omitempty"`
	Seed          uint64          `json:"seed"`
	Target        string          `json:"target"`
	Faults        []string        `json:"faults,omitempty"`
	LabelFilter   string          `json:"label_filter,omitempty"`
	// Completion is the golden path's attempted, completed, rate and
	// target, as in the report.
	Completion reports.Completion `json:"completion"`
	// Findings is the number of findings; FindingsByKind splits it (its
	// keys are strings in JSON, as they always were).
	Findings       int                  `json:"findings"`
	FindingsByKind map[reports.Kind]int `json:"findings_by_kind"`
	DurationMS     int64                `json:"duration_ms"`
}

// Summarize is r's history entry.
func Summarize(r *reports.Report) Entry {
	e := Entry{
		SchemaVersion:  Version,
		Time:           r.StartedAt.UTC(),
		Verdict:        r.Verdict,
		Version:        r.Tool.Version,
		Seed:           r.Spec.Seed,
		Target:         r.Target.Kind,
		Faults:         r.Target.Faults,
		LabelFilter:    r.Spec.LabelFilter,
		Completion:     r.Completion,
		Findings:       len(r.Findings),
		FindingsByKind: map[reports.Kind]int{},
		DurationMS:     r.DurationMS,
	}
	if e.Target == "" {
		e.Target = r.Spec.Target
	}
	if len(e.Faults) == 0 {
		e.Faults = r.Spec.Faults
	}
	e.Faults = append([]string(nil), e.Faults...)
	if len(r.FindingsByKind) > 0 {
		for k, n := range r.FindingsByKind {
			e.FindingsByKind[k] = n
		}
	} else {
		for _, f := range r.Findings {
			e.FindingsByKind[f.Kind]++
		}
	}
	return e
}

// Append appends r's summary to the history file at path as one JSON
// line, creating the file if need be. The line goes out in one write to a
// file opened for appending, so concurrent writers on a local file system
// do not interleave; a previous line left without its newline (a writer
// that died) is ended first, so that only that line is lost. The line
// holds no whole token (reports.Redact).
func Append(path string, r *reports.Report) error {
	if r == nil {
		return errors.New("history: nil report")
	}
	b, err := json.Marshal(Summarize(r))
	if err != nil {
		return fmt.Errorf("history: encode: %w", err)
	}
	line := append([]byte(reports.Redact(string(b))), '\n')
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			line = append([]byte{'\n'}, line...)
		}
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("history: append to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("history: append to %s: %w", path, err)
	}
	return nil
}

// maxHistoryLine bounds one history line; a real one is a few hundred
// bytes.
const maxHistoryLine = 1 << 20

// Read reads every entry of the history file at path, in file order.
// Blank lines are skipped; a line that is not an entry is an error naming
// the file and line.
func Read(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer f.Close()
	entries, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", path, err)
	}
	return entries, nil
}

// Parse reads history lines from r. An error names the line: "3: …".
func Parse(r io.Reader) ([]Entry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxHistoryLine)
	var out []Entry
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("%d: bad history entry: %w", n, err)
		}
		switch {
		case e.SchemaVersion > Version:
			return nil, fmt.Errorf("%d: history entry schema_version %d is newer than this gpcheck reads (%d)", n, e.SchemaVersion, Version)
		case e.Time.IsZero() || e.Verdict == "":
			return nil, fmt.Errorf("%d: bad history entry: no time or verdict", n)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%d: %w", n+1, err)
	}
	return out, nil
}
