package check

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/harness/load"
	"github.com/gpcheck/gpcheck/reports"
)

// Isolation checks that no user received another user's data: every frame
// and REST answer each user received is searched for other users'
// canaries, user ids, run ids, request ids and thread ids. A user whose
// answer lacks its own canary is reported too. Abandoning users take part
// on both sides: their data must not reach anyone either.
//
// The search happens as the frames arrive, against the run's ledger
// (flow.Ledger), and what it found is in each result (flow.Result.Leaks,
// the kept frames' notes); Isolation settles what is left and reports.
//
// In a sharded run, users other shards drive (out.Others) are recognised
// by their canaries and request ids, which every shard derives from the
// shared seed: a leak from one of them is attributed to its owner, and the
// finding names both shards (Finding.Shard, the receiver's; OtherShards,
// the owner's).
func Isolation(out *load.Outcome) []reports.Finding {
	ledger := out.Settle().Ledger()
	myShard := out.Shard.String()
	var findings []reports.Finding
	for _, r := range out.All() {
		if r == nil {
			continue
		}
		owners := make([]int, 0, len(r.Leaks))
		for o := range r.Leaks {
			owners = append(owners, o)
		}
		sort.Ints(owners)
		for _, o := range owners {
			l := r.Leaks[o]
			from := ledger.Result(o)
			if from == nil {
				from = &flow.Result{Plan: ledger.Plan(o)}
			}
			name := userLabel(from)
			if o < 0 {
				name = from.Plan.Label() + " (another shard)"
			}
			detail := fmt.Sprintf("received %s's data (%s) %d time(s), in %s",
				name, strings.Join(keys(l.Kinds), ", "), l.Count, strings.Join(keys(l.Where), "; "))
			var otherShards []string
			if myShard != "" {
				theirs := out.ShardOf(from.Plan).String()
				otherShards = []string{theirs}
				if theirs != myShard {
					detail += fmt.Sprintf("; %s runs in shard %s, this user in shard %s", from.Plan.Label(), theirs, myShard)
				}
			}
			f := reports.Finding{
				Kind:        reports.KindIsolationLeak,
				User:        userLabel(r),
				VUser:       r.Plan.Label(),
				Others:      []string{from.Plan.Label()},
				Shard:       myShard,
				OtherShards: otherShards,
				Detail:      detail,
				Evidence:    leakTranscript(from, r, l),
				Count:       l.Count,
				// One defect per channel the data leaked through: a
				// gateway's routing and a REST path are different causes.
				Group: "another user's data in WebSocket frames",
			}
			if len(l.Frames) > 0 {
				f.At = r.Frames[l.Frames[0]].Frame.At
			} else {
				f.Group = "another user's data in REST answers (" + strings.Join(keys(l.Routes), ", ") + ")"
			}
			findings = append(findings, f)
		}
		findings = append(findings, missingOwnCanary(r)...)
	}
	return findings
}

// missingOwnCanary reports answers to r's own requests that do not carry
// r's own canary: the agent answered with someone else's data, or none.
// Screening marked them (flow.NoteNoOwnCanary).
func missingOwnCanary(r *flow.Result) []reports.Finding {
	var out []reports.Finding
	for _, rec := range r.Frames {
		if rec.Note&flow.NoteNoOwnCanary == 0 {
			continue
		}
		f := rec.Frame
		detail := fmt.Sprintf("the answer to request %s lacks the user's own canary", f.RequestID)
		ev := requestTranscript(r, r.SentFrames(), r.Frames, f.RequestID)
		for _, m := range r.Messages {
			if m.RequestID == f.RequestID {
				detail += " " + m.Canary
				ev = messageTranscript(r, m)
				break
			}
		}
		out = append(out, reports.Finding{
			Kind:     reports.KindIsolationLeak,
			User:     userLabel(r),
			VUser:    r.Plan.Label(),
			Detail:   detail,
			Evidence: ev,
			Group:    "an answer to the user's own request without the user's own canary",
			At:       f.At,
		})
	}
	return out
}

// leakTranscript shows who sent what and who received it: the owner's
// frames that carried the leaked markers, then the frames in which the
// receiver got them, in time order, then the REST answers that carried
// them.
func leakTranscript(owner, receiver *flow.Result, l *flow.Leak) []string {
	carries := func(raw []byte) bool {
		for m := range l.Markers {
			if strings.Contains(string(raw), m) {
				return true
			}
		}
		return false
	}
	var recs []flow.Received
	for _, fi := range l.Frames {
		recs = append(recs, receiver.Frames[fi])
	}
	out := transcript(sentLines(owner, l.OwnerSent, carries), receivedLines(receiver, recs, nil))
	for i, ri := range l.REST {
		if i == 2 {
			break
		}
		a := receiver.REST[ri]
		out = append(out, a.Route+" → "+excerpt(a.Resp.Body))
	}
	return out
}

// excerpt shortens raw for evidence; writers redact it further.
func excerpt(raw []byte) string {
	const max = 400
	s := string(raw)
	if len(s) > max {
		s = s[:max] + "…"
	}
	return reports.Redact(s)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
