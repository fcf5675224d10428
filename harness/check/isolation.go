package check

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/harness/load"
	"github.com/gpcheck/gpcheck/reports"
)

// canaryPrefix starts every canary the load runner puts in user messages.
const canaryPrefix = flow.CanaryPrefix

// Isolation checks that no user received another user's data: every frame
// and REST answer each user received is searched for other users'
// canaries, user ids, run ids, request ids and thread ids. A user whose
// answer lacks its own canary is reported too. Abandoning users take part
// on both sides: their data must not reach anyone either.
//
// In a sharded run, users other shards drive (out.Others) are recognised
// by their canaries and request ids, which every shard derives from the
// shared seed: a leak from one of them is attributed to its owner, and the
// finding names both shards (Finding.Shard, the receiver's; OtherShards,
// the owner's).
func Isolation(out *load.Outcome) []reports.Finding {
	all := out.All()
	owner := map[string]markerOwner{}
	for i, r := range all {
		if r == nil {
			continue
		}
		add := func(kind, v string) {
			if v != "" {
				owner[v] = markerOwner{user: i, kind: kind, value: v}
			}
		}
		add("user_id", r.UserID)
		for _, m := range r.Messages {
			add("canary", m.Canary)
			if !r.Plan.CounterIDs { // counter ids collide by design: no proof of ownership
				add("request_id", m.RequestID)
			}
			add("run_id", m.RunID)
			add("thread_id", m.ThreadID)
		}
	}

	// Users of other shards: their messages are derived from the seed, so
	// any of their canaries and request ids, whatever the message, is
	// recognised by deriving it again (markers.derive).
	otherShard := map[int]*flow.Plan{}
	for _, p := range out.Others {
		otherShard[-1-p.Index] = p
	}
	known := &markers{owner: owner, others: otherShard}
	myShard := out.Shard.String()

	var findings []reports.Finding
	for i, r := range all {
		if r == nil {
			continue
		}
		leaks := map[int]*leak{}
		note := func(o markerOwner, where string) *leak {
			if o.user == i {
				return nil
			}
			l := leaks[o.user]
			if l == nil {
				l = &leak{kinds: map[string]bool{}, where: map[string]bool{}, markers: map[string]bool{}, routes: map[string]bool{}}
				leaks[o.user] = l
			}
			l.kinds[o.kind] = true
			l.where[where] = true
			l.markers[o.value] = true
			l.count++
			return l
		}
		for fi, rec := range r.Frames {
			where := fmt.Sprintf("%s frame on connection %d", frameName(rec.Frame.Type), rec.Conn)
			seen := map[*leak]bool{}
			for _, o := range markersIn(rec.Frame.Raw, known) {
				if l := note(o, where); l != nil && !seen[l] {
					seen[l] = true
					l.frames = append(l.frames, fi)
				}
			}
		}
		for _, rest := range r.REST {
			seen := map[*leak]bool{}
			for _, o := range markersIn(rest.Resp.Body, known) {
				l := note(o, rest.Route+" answer")
				if l != nil {
					l.routes[rest.Route] = true
				}
				if l != nil && !seen[l] && len(l.rest) < 2 {
					seen[l] = true
					l.rest = append(l.rest, rest.Route+" → "+excerpt(rest.Resp.Body))
				}
			}
		}
		// Older REST answers: their values (flow.Result.RESTValues),
		// every canary in an answer among them, so exact matches suffice.
		values := make([]string, 0, len(r.RESTValues))
		for v := range r.RESTValues {
			values = append(values, v)
		}
		sort.Strings(values)
		for _, v := range values {
			at := r.RESTValues[v]
			if o, ok := known.find(v); ok {
				l := note(o, at.Route+" answer")
				if l == nil {
					continue
				}
				l.routes[at.Route] = true
				if len(l.rest) < 2 {
					l.rest = append(l.rest, restEvidence(at, o.value))
				}
			}
		}
		others := make([]int, 0, len(leaks))
		for o := range leaks {
			others = append(others, o)
		}
		sort.Ints(others)
		for _, o := range others {
			l := leaks[o]
			var from *flow.Result
			var name string
			if o >= 0 {
				from, name = all[o], userLabel(all[o])
			} else {
				from = &flow.Result{Plan: otherShard[o]}
				name = otherShard[o].Label() + " (another shard)"
			}
			detail := fmt.Sprintf("received %s's data (%s) %d time(s), in %s",
				name, strings.Join(keys(l.kinds), ", "), l.count, strings.Join(keys(l.where), "; "))
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
				Count:       l.count,
				// One defect per channel the data leaked through: a
				// gateway's routing and a REST path are different causes.
				Group: "another user's data in WebSocket frames",
			}
			if len(l.frames) > 0 {
				f.At = r.Frames[l.frames[0]].Frame.At
			} else {
				f.Group = "another user's data in REST answers (" + strings.Join(keys(l.routes), ", ") + ")"
			}
			findings = append(findings, f)
		}
		findings = append(findings, missingOwnCanary(r, out.Events().Completed)...)
	}
	return findings
}

// missingOwnCanary reports answers to r's own requests that do not carry
// r's own canary: the agent answered with someone else's data, or none.
func missingOwnCanary(r *flow.Result, completed string) []reports.Finding {
	var out []reports.Finding
	for _, m := range r.Messages {
		canary := m.Canary
		for _, rec := range r.Frames {
			f := rec.Frame
			if f.Type != completed || f.RequestID != m.RequestID {
				continue
			}
			if !strings.Contains(string(f.Data), canary) {
				out = append(out, reports.Finding{
					Kind:     reports.KindIsolationLeak,
					User:     userLabel(r),
					VUser:    r.Plan.Label(),
					Detail:   fmt.Sprintf("the answer to request %s lacks the user's own canary %s", m.RequestID, canary),
					Evidence: requestTranscript(r, m.RequestID),
					Group:    "an answer to the user's own request without the user's own canary",
					At:       f.At,
				})
			}
			break
		}
	}
	return out
}

type markerOwner struct {
	user  int
	kind  string
	value string
}

// markers finds the owner of a marker: this shard's users' markers as
// they were seen, and other shards' users' canaries and request ids as
// the seed derives them.
type markers struct {
	owner  map[string]markerOwner
	others map[int]*flow.Plan // other shards' users, by -1-index
}

// find returns the owner of marker s, if it is one.
func (k *markers) find(s string) (markerOwner, bool) {
	if o, ok := k.owner[s]; ok {
		return o, true
	}
	return k.derive(s)
}

// derive recognises s as a canary ("gpc-TAG-uINDEX-mMESSAGE-HASH") or a
// request id ("req-TAG-uINDEX-mMESSAGE") of a user another shard drives:
// it parses the user and message out of s and derives that message's
// markers from the user's plan, so that only a marker the seed would
// make is attributed, to whichever message it is of.
func (k *markers) derive(s string) (markerOwner, bool) {
	if len(k.others) == 0 || !strings.HasPrefix(s, canaryPrefix) && !strings.HasPrefix(s, "req-") {
		return markerOwner{}, false
	}
	parts := strings.Split(s, "-")
	var kind string
	switch {
	case len(parts) == 5 && parts[0]+"-" == canaryPrefix:
		kind = "canary"
	case len(parts) == 4 && parts[0] == "req":
		kind = "request_id"
	default:
		return markerOwner{}, false
	}
	u, uok := strings.CutPrefix(parts[2], "u")
	m, mok := strings.CutPrefix(parts[3], "m")
	i, ierr := strconv.Atoi(u)
	n, nerr := strconv.Atoi(m)
	if !uok || !mok || ierr != nil || nerr != nil || i < 0 || n < 0 {
		return markerOwner{}, false
	}
	p := k.others[-1-i]
	if p == nil || p.Tag != parts[1] {
		return markerOwner{}, false
	}
	_, canary, req := p.MessageAt(n)
	switch {
	case kind == "canary" && s == canary:
	case kind == "request_id" && s == req && !p.CounterIDs:
	default:
		return markerOwner{}, false
	}
	return markerOwner{user: -1 - i, kind: kind, value: s}, true
}

// leakTranscript shows who sent what and who received it: the owner's
// frames that carried the leaked markers, then the frames in which the
// receiver got them, in time order.
func leakTranscript(owner, receiver *flow.Result, l *leak) []string {
	carries := func(raw []byte) bool {
		for m := range l.markers {
			if strings.Contains(string(raw), m) {
				return true
			}
		}
		return false
	}
	got := map[int]bool{}
	for _, fi := range l.frames {
		got[fi] = true
	}
	idx := 0
	recv := receivedLines(receiver, func(flow.Received) bool {
		ok := got[idx]
		idx++
		return ok
	})
	out := transcript(sentLines(owner, carries), recv)
	return append(out, l.rest...)
}

type leak struct {
	kinds, where map[string]bool
	routes       map[string]bool // REST routes that leaked
	count        int
	frames       []int // indexes into the receiver's Frames
	rest         []string
	markers      map[string]bool
}

// markersIn finds every known marker in a JSON document (or, when it is
// not JSON, in its raw text): string values that equal a marker, and
// canaries anywhere inside string values.
func markersIn(raw []byte, owner *markers) []markerOwner {
	var out []markerOwner
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return canariesIn(string(raw), owner)
	}
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case string:
			if o, ok := owner.find(t); ok {
				out = append(out, o)
			} else {
				out = append(out, canariesIn(t, owner)...)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		case map[string]any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

func canariesIn(s string, owner *markers) []markerOwner {
	var out []markerOwner
	for _, c := range flow.Canaries(s) {
		if o, ok := owner.find(c); ok && o.kind == "canary" {
			out = append(out, o)
		}
	}
	return out
}

func frameName(t string) string {
	if t == "" {
		return "unparsed"
	}
	return t
}

// restEvidence says where and when a REST answer that is no longer kept
// whole carried marker.
func restEvidence(at flow.Seen, marker string) string {
	return fmt.Sprintf("%s answer at %s held %s (the answer itself was not kept, only its values)",
		at.Route, at.At.UTC().Format("15:04:05.000"), reports.Redact(marker))
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
