package check

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/harness/load"
	"github.com/gpcheck/gpcheck/reports"
)

// Identity checks that every path resolves each user's token to one user:
// the token's sub, the auth service's validate, the backend's profile,
// connection_established and every event of the user's own runs (the
// user ids screening found in them, flow.Identity.Events).
func Identity(out *load.Outcome) []reports.Finding {
	var findings []reports.Finding
	established := out.Events().ConnectionEstablished
	out.Settle() // what each user's events named (flow.Identity.Events)
	for _, r := range out.All() {
		if r == nil || r.UserID == "" {
			continue
		}
		id := r.Identity
		seen := map[string][]string{} // user id -> paths that gave it
		var problems []string
		add := func(path, uid, errText string) {
			if errText != "" {
				problems = append(problems, fmt.Sprintf("%s resolved no user (%s)", path, errText))
				return
			}
			seen[uid] = append(seen[uid], path)
		}
		add("token sub", id.TokenSub, "")
		if id.Login != "" {
			add("login answer", id.Login, "")
		}
		add("auth validate", id.Validate, id.ValidateError)
		add("backend profile", id.Profile, id.ProfileError)
		for i, c := range id.Connections {
			add(fmt.Sprintf("connection_established #%d", i), c, "")
		}
		for _, u := range id.Events {
			add("events", u, "")
		}
		if len(seen) > 1 {
			uids := make([]string, 0, len(seen))
			for u := range seen {
				uids = append(uids, u)
			}
			sort.Strings(uids)
			var parts []string
			for _, u := range uids {
				parts = append(parts, fmt.Sprintf("%q by %s", u, strings.Join(seen[u], ", ")))
			}
			problems = append(problems, "one token, several users: "+strings.Join(parts, "; "))
		}
		if len(problems) == 0 {
			continue
		}
		// What the users' findings share is which paths named someone
		// other than the token's sub, not whom.
		off := map[string]bool{}
		for u, paths := range seen {
			if u == id.TokenSub {
				continue
			}
			for _, p := range paths {
				if i := strings.Index(p, " #"); i >= 0 {
					p = p[:i] // connection_established #1 → connection_established
				}
				off[p] = true
			}
		}
		group := ""
		if len(off) > 0 {
			group = "one token, several users: " + strings.Join(keys(off), ", ") + " named another user than the token's sub"
		}
		ev := transcript(receivedLines(r, r.Frames, func(rec flow.Received) bool {
			return rec.Frame.Type == established || rec.Note&(flow.NoteEstablished|flow.NoteOtherUser) != 0
		}))
		for _, p := range problems {
			f := reports.Finding{Kind: reports.KindIdentity, User: userLabel(r), VUser: r.Plan.Label(), Detail: p, Evidence: ev}
			if strings.HasPrefix(p, "one token, several users") {
				f.Group = group
			}
			findings = append(findings, f)
		}
	}
	return findings
}
