package suites

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/gpcheck/gpcheck/harness/check"
	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/harness/load"
	"github.com/gpcheck/gpcheck/harness/tokens"
	"github.com/gpcheck/gpcheck/reports"
)

// probesEntry names the report entries that carry a spec's probe tables.
const probesEntry = "probes"

// defineAttackSurface registers the attack-surface specs: cross-user
// object access (idor), the gateway's Origin and credential rules
// (websocket-security), order-independent verdicts (order), and the
// session lifecycle (revocation). Each records its cases and verdicts as
// a probe table for the report; none needs the signing key, and the cases
// that would are listed as skipped.
func (s *state) defineAttackSurface(g group) {
	ginkgo.Describe(g.container, func() {
		s.it(g, "idor", func(ctx ginkgo.SpecContext) {
			ctx2 := mergeCtx(ctx, s.ctx)
			ss := s.sessions(ctx2, "idor", 2)
			table, fs := check.IDOR(ctx2, s.cfg.Env, ss[0], ss[1])
			s.finish("another user's objects are reachable by id", table, fs)
		}, ginkgo.NodeTimeout(3*time.Minute))

		s.it(g, "websocket-security", func(ctx ginkgo.SpecContext) {
			ctx2 := mergeCtx(ctx, s.ctx)
			table, fs := check.WebSocketSecurity(ctx2, s.cfg.Env, s.sessions(ctx2, "wssec", 1)[0])
			s.finish("the gateway's handshake rules are broken", table, fs)
		}, ginkgo.NodeTimeout(2*time.Minute))

		s.it(g, "order", func(ctx ginkgo.SpecContext) {
			ctx2 := mergeCtx(ctx, s.ctx)
			ss := s.prefixSessions(ctx2, "order", 3)
			table, fs := check.Order(ctx2, s.cfg.Env, ss[0], ss[1:])
			s.finish("a verdict depends on what was asked before", table, fs)
		}, ginkgo.NodeTimeout(4*time.Minute))
	})
}

// defineSessionLifecycle registers the session lifecycle specs (label
// revocation): refresh tokens after logout and reuse, deleted users.
func (s *state) defineSessionLifecycle(g group) {
	ginkgo.Describe(g.container, func() {
		s.it(g, "session-refresh", func(ctx ginkgo.SpecContext) {
			ctx2 := mergeCtx(ctx, s.ctx)
			ss := s.sessions(ctx2, "session", 2)
			table, fs := check.SessionEnd(ctx2, s.cfg.Env, ss[0], ss[1])
			s.finish("a session outlives its end", table, fs)
		}, ginkgo.NodeTimeout(2*time.Minute))

		s.it(g, "session-deleted", func(ctx ginkgo.SpecContext) {
			ctx2 := mergeCtx(ctx, s.ctx)
			table, fs, err := check.DeletedUser(ctx2, s.cfg.Env, s.sessions(ctx2, "deleted", 1)[0])
			if errors.Is(err, check.ErrNoUserDeletion) {
				ginkgo.Skip("the target cannot delete a user: " + err.Error() + " (optional in docs/protocol.md)")
			}
			if err != nil {
				// The question could not be asked: not judged, not failed.
				fs = append(fs, reports.Finding{Kind: reports.KindInconclusive, Path: check.PathAuth, Detail: "deleted-user probe: " + err.Error()})
			}
			s.finish("a deleted user's tokens are still honoured", table, fs)
		}, ginkgo.NodeTimeout(2*time.Minute))
	})
}

// finish records a spec's probe table and findings and fails the spec
// when there are findings.
func (s *state) finish(what string, table reports.ProbeTable, fs []reports.Finding) {
	ginkgo.AddReportEntry(probesEntry, redactTable(table), ginkgo.ReportEntryVisibilityNever)
	s.record(fs)
	if s.failing(fs) {
		failWith(what, fs)
	}
}

// redactTable fingerprints anything token-like in a table's cells.
func redactTable(t reports.ProbeTable) reports.ProbeTable {
	out := reports.ProbeTable{Name: reports.Redact(t.Name), Columns: make([]string, len(t.Columns)), Rows: make([][]string, len(t.Rows))}
	for i, c := range t.Columns {
		out.Columns[i] = reports.Redact(c)
	}
	for i, row := range t.Rows {
		out.Rows[i] = make([]string, len(row))
		for j, c := range row {
			out.Rows[i][j] = reports.Redact(c)
		}
	}
	return out
}

// probesOf returns the probe tables a spec recorded.
func probesOf(sr types.SpecReport) []reports.ProbeTable {
	var out []reports.ProbeTable
	for _, e := range sr.ReportEntries {
		if e.Name != probesEntry {
			continue
		}
		if t, ok := e.GetRawValue().(reports.ProbeTable); ok {
			out = append(out, t)
		}
	}
	return out
}

// prefixSessions logs in n fresh users whose emails share a long prefix
// and differ only at their end, so that their tokens (whose claims the
// reference serialises in key order: aud, email, …) share a long prefix
// too: the material for caches keyed by a token's first characters.
func (s *state) prefixSessions(ctx context.Context, ns string, n int) []check.Session {
	o := load.Options{Users: n, Seed: s.cfg.Load.Seed ^ hash(ns), Abandoners: -1, ExtraConnectionEvery: -1}
	plans, _ := load.Plans(o)
	d := &flow.Driver{Env: s.cfg.Env}
	var out []check.Session
	for _, p := range plans {
		// 56 characters before the "@": within the 64 an address allows.
		p.Email = fmt.Sprintf("%s-%s-%s-u%04d@gpcheck.test", ns, p.Tag, strings.Repeat("x", 40-len(ns)), p.Index)
		sess, err := d.Login(ctx, p)
		gomega.Expect(err).NotTo(gomega.HaveOccurred(), "log in probe user %s", p.Label())
		sub, err := tokens.Subject(sess.AccessToken)
		gomega.Expect(err).NotTo(gomega.HaveOccurred(), "read the sub of probe user %s's token", p.Label())
		out = append(out, check.Session{Label: p.Label() + " (" + sub + ")", UserID: sub, Session: sess})
	}
	return out
}
