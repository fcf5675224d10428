package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// ReadJSON decodes a report.json. It reads every schema_version up to
// SchemaVersion and refuses a newer one; fields it does not know are
// ignored, as the schema_version policy asks.
//
// A version 1 report (which had "config" where version 2 has "spec") is
// brought to the current model: its config and target fill Spec (the
// target's URLs only for a remote target: a local run's URLs were the
// embedded services' and are no setting), settings version 1 did not
// record take DefaultRunSpec's values, and the returned report's
// SchemaVersion is SchemaVersion, the layout it now has.
func ReadJSON(b []byte) (*Report, error) {
	var head struct {
		SchemaVersion int              `json:"schema_version"`
		Config        *json.RawMessage `json:"config"`
		Spec          *json.RawMessage `json:"spec"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	switch v := head.SchemaVersion; {
	case v > SchemaVersion:
		return nil, fmt.Errorf("read report: schema_version %d is newer than this gpcheck reads (%d); use a newer gpcheck", v, SchemaVersion)
	case v < 0:
		return nil, fmt.Errorf("read report: bad schema_version %d", v)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	if head.SchemaVersion < 2 && head.Spec == nil {
		raw := json.RawMessage("{}")
		if head.Config != nil {
			raw = *head.Config
		}
		spec, err := specFromV1(raw, r.Target)
		if err != nil {
			return nil, fmt.Errorf("read report: config: %w", err)
		}
		r.Spec = spec
	}
	if head.SchemaVersion < 3 {
		r.GroupDefects() // version 3 groups findings into defects
	}
	r.SchemaVersion = SchemaVersion
	return &r, nil
}

// configV1 is report.json version 1's "config".
type configV1 struct {
	Users         int      `json:"users"`
	Concurrency   int      `json:"concurrency"`
	Messages      int      `json:"messages"`
	Seed          uint64   `json:"seed"`
	LabelFilter   string   `json:"label_filter"`
	MinCompletion float64  `json:"min_completion"`
	TimeoutMS     int64    `json:"timeout_ms"`
	RampMS        int64    `json:"ramp_ms"`
	DurationMS    int64    `json:"duration_ms"`
	UserMode      string   `json:"user_mode"`
	Origin        string   `json:"origin"`
	Shard         string   `json:"shard"`
	Shards        []string `json:"shards"`
}

// specFromV1 is the RunSpec of a version 1 report's config and target.
func specFromV1(raw json.RawMessage, target SUT) (RunSpec, error) {
	s := DefaultRunSpec()
	// Defaults first, so that a key the config lacks keeps them.
	c := configV1{Users: s.Users, Messages: s.Messages, MinCompletion: s.MinCompletion,
		TimeoutMS: time.Duration(s.Timeout).Milliseconds()}
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&c); err != nil {
		return RunSpec{}, err
	}
	ms := func(n int64) Duration { return Duration(time.Duration(n) * time.Millisecond) }
	s.Users, s.Concurrency, s.Messages, s.Seed = c.Users, c.Concurrency, c.Messages, c.Seed
	s.LabelFilter, s.MinCompletion = c.LabelFilter, c.MinCompletion
	s.Timeout, s.Ramp, s.Duration = ms(c.TimeoutMS), ms(c.RampMS), ms(c.DurationMS)
	s.UserMode, s.Origin, s.Shard, s.Shards = c.UserMode, c.Origin, c.Shard, c.Shards
	if target.Kind != "" {
		s.Target = target.Kind
	}
	if s.Target == "remote" {
		s.AuthURL, s.BackendURL, s.WSURL = target.AuthURL, target.BackendURL, target.WSURL
	}
	s.Faults = append([]string(nil), target.Faults...)
	return s, nil
}
