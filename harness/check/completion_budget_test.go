package check

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/reports"
)

// TestCompletionReportsBudgetsAsProtocolViolations: a flow that failed
// because the gateway exceeded a budget is a protocol_violation at its
// stage, naming the budget and by how much; other failures stay
// stage_failure; both count as failed flows.
func TestCompletionReportsBudgetsAsProtocolViolations(t *testing.T) {
	a, b, c := user(0), user(1), user(2)
	be := &client.BudgetError{What: client.BudgetMaxFramesPerRun, Limit: 1000, Got: 1001}
	b.Messages[0].Failure = &flow.Failure{Stage: flow.StageFirstEvent, Cause: "waiting for first event: " + be.Error(),
		Err: fmt.Errorf("wrapped: %w", be)}
	c.Messages[0].Failure = &flow.Failure{Stage: flow.StageStream, Cause: "got agent_completed, want tool_completed"}
	comp, stages, fs := Completion(outcome(a, b, c), 100)
	if comp.Attempted != 3 || comp.Completed != 1 {
		t.Errorf("completion = %+v, want 1 of 3", comp)
	}
	failed := map[string]int{}
	for _, s := range stages {
		failed[s.Name] = s.Failed
	}
	if failed["first_event"] != 1 || failed["stream"] != 1 {
		t.Errorf("failures by stage = %v", failed)
	}
	if len(fs) != 2 {
		t.Fatalf("findings = %+v", fs)
	}
	if fs[0].Kind != reports.KindProtocol || fs[0].Stage != "first_event" ||
		!strings.Contains(fs[0].Detail, "max_frames_per_run") || !strings.Contains(fs[0].Detail, "1 over") {
		t.Errorf("budget finding = %s at %s: %q", fs[0].Kind, fs[0].Stage, fs[0].Detail)
	}
	if fs[1].Kind != reports.KindStageFailure || fs[1].Stage != "stream" {
		t.Errorf("other finding = %s at %s", fs[1].Kind, fs[1].Stage)
	}
}
