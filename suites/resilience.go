package suites

import (
	"crypto/rand"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/gpcheck/gpcheck/harness/check"
)

// defineResilience registers the specs that break services on purpose
// (label resilience; they need a target that can stop, pause and cut off
// its services: the containers and compose targets).
func (s *state) defineResilience(g group) {
	ginkgo.Describe(g.container, ginkgo.Ordered, ginkgo.ContinueOnFailure, func() {
		for _, f := range check.ResilienceFaults() {
			s.it(g, "resilience-"+f.Service, func(ctx ginkgo.SpecContext) {
				if s.cfg.Controller == nil {
					ginkgo.Skip("needs a target whose services gpcheck can stop, pause and cut off: --target containers or compose")
				}
				ctx2 := mergeCtx(ctx, s.ctx)
				se := s.sessions(ctx2, "resilience-"+f.Service, 1)[0]
				fs := check.Resilience(ctx2, s.cfg.Env, s.cfg.Controller, f, se.AccessToken, s.cfg.Load.Seed^hash(f.Name))
				for i := range fs {
					fs[i].User = se.Label
				}
				s.record(fs)
				if s.failing(fs) {
					failWith(f.Name+": the system or the harness misbehaved", fs)
				}
			}, ginkgo.NodeTimeout(5*time.Minute))
		}
	})
}

// defineSecrets registers the secret-consistency spec (every target).
func (s *state) defineSecrets(g group) {
	ginkgo.Describe(g.container, func() {
		s.it(g, "secrets", func(ctx ginkgo.SpecContext) {
			ctx2 := mergeCtx(ctx, s.ctx)
			se := s.sessions(ctx2, "secrets", 1)[0]
			other := make([]byte, 32)
			_, _ = rand.Read(other)
			fs := check.Secrets(ctx2, s.cfg.Env, se, map[string][]byte{"a random key": other})
			s.record(fs)
			if s.failing(fs) {
				failWith("a path trusts another key than the auth service's", fs)
			}
		}, ginkgo.NodeTimeout(2*time.Minute))
	})
}
