package check

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/harness/load"
	"github.com/gpcheck/gpcheck/reports"
)

// Controller stops, pauses and cuts off the services of a target; the
// containers target implements it. Services are "auth", "backend", "ws".
type Controller interface {
	Stop(ctx context.Context, service string) error
	Start(ctx context.Context, service string) error
	Pause(ctx context.Context, service string) error
	Unpause(ctx context.Context, service string) error
	Disconnect(ctx context.Context, service string) error
	Connect(ctx context.Context, service string) error
}

// Fault is one way of breaking a service, and of mending it.
type Fault struct {
	Name    string
	Service string
	// Break and Mend act on the controller.
	Break, Mend func(c Controller, ctx context.Context, service string) error
	// Stages are the stages a flow that meets this fault may fail at.
	Stages []flow.Stage
}

// ResilienceFaults are the faults of the resilience specs, in the order
// they run: the backend stopped, the auth service paused, the gateway cut
// off the network.
func ResilienceFaults() []Fault {
	return []Fault{
		{Name: "backend stopped", Service: "backend",
			Break: Controller.Stop, Mend: Controller.Start,
			Stages: []flow.Stage{flow.StageFirstEvent, flow.StageStream, flow.StageHistory, flow.StageLogin}},
		{Name: "auth service paused", Service: "auth",
			Break: Controller.Pause, Mend: Controller.Unpause,
			Stages: []flow.Stage{flow.StageLogin}},
		{Name: "gateway cut off the network", Service: "ws",
			Break: Controller.Disconnect, Mend: Controller.Connect,
			Stages: []flow.Stage{flow.StageConnect}},
	}
}

// Resilience breaks one service, runs a few flows and probes every path
// with a valid token while it is broken, then mends it and runs flows
// again. Findings: a flow that failed at a stage the fault cannot explain
// (misattribution), a run that outlived its deadline (a hang), a path that
// accepted a token while the auth service was down (fail open), and flows
// that do not complete once the service is back.
func Resilience(ctx context.Context, env *harness.Env, c Controller, f Fault, token string, seed uint64) []reports.Finding {
	var out []reports.Finding
	find := func(kind reports.Kind, format string, args ...any) {
		out = append(out, reports.Finding{Kind: kind, Detail: f.Name + ": " + fmt.Sprintf(format, args...)})
	}
	if err := f.Break(c, ctx, f.Service); err != nil {
		find(reports.KindProtocol, "could not break the service: %v", err)
		return out
	}
	mended := false
	mend := func() {
		if !mended {
			mended = true
			if err := f.Mend(c, ctx, f.Service); err != nil {
				find(reports.KindProtocol, "could not mend the service: %v", err)
			}
		}
	}
	defer mend()

	// While broken: no path may accept a token the auth service cannot
	// vouch for (fail closed) when it is the auth service that is down.
	if f.Service == "auth" {
		for _, p := range MatrixPaths()[1:] {
			if cell := probe(ctx, env, p, token); cell.Accept {
				find(reports.KindTokenVerdict, "%s accepted a token as %q while the auth service was down: it fails open", p, cell.User)
			}
		}
	}

	// Flows during the fault must fail, each at a stage the fault explains,
	// within their deadlines.
	budget := env.Target.SLA.Total + 2*env.Target.RequestTimeout
	start := time.Now()
	o := load.Options{Users: 3, Seed: seed, Abandoners: -1, ExtraConnectionEvery: -1}
	fctx, cancel := context.WithTimeout(ctx, budget+10*time.Second)
	during, err := load.Run(fctx, &flow.Driver{Env: env}, o)
	cancel()
	if err != nil {
		find(reports.KindProtocol, "flows during the fault: %v", err)
		return out
	}
	if d := time.Since(start); d > budget {
		find(reports.KindStageFailure, "flows during the fault took %s, beyond their %s deadline: the harness or the system hangs", d.Round(time.Second), budget)
	}
	for _, r := range during.Users {
		for _, m := range r.Messages {
			if m.Failure == nil {
				continue
			}
			if !stageIn(m.Failure.Stage, f.Stages) {
				find(reports.KindStageFailure, "a flow failed at %s (%s), a stage this fault does not explain (want one of %s)",
					m.Failure.Stage, m.Failure.Cause, stageNames(f.Stages))
			}
		}
	}

	// After: the service is back and flows complete again.
	mend()
	o.Seed = seed + 1
	var after *load.Outcome
	deadline := time.Now().Add(30 * time.Second)
	for {
		after, err = load.Run(ctx, &flow.Driver{Env: env}, o)
		if err != nil || allCompleted(after) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Second)
		o.Seed++
	}
	if err != nil || !allCompleted(after) {
		find(reports.KindStageFailure, "flows did not complete within 30 s of the service coming back")
	}
	return out
}

func allCompleted(o *load.Outcome) bool {
	if o == nil {
		return false
	}
	for _, r := range o.Users {
		for _, m := range r.Messages {
			if !m.Completed() {
				return false
			}
		}
	}
	return true
}

func stageIn(s flow.Stage, ss []flow.Stage) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func stageNames(ss []flow.Stage) string {
	var out []string
	for _, s := range ss {
		out = append(out, string(s))
	}
	return strings.Join(out, ", ")
}
