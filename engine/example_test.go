package engine_test

import (
	"context"
	"fmt"

	"github.com/gpcheck/gpcheck/engine"
)

// A run from Go: the embedded reference services, three users, only the
// golden-path spec, no report folder.
func ExampleRun() {
	spec := engine.DefaultSpec()
	spec.Users, spec.Seed, spec.LabelFilter, spec.ReportDir = 3, 42, "golden-path", ""
	res, err := engine.Run(context.Background(), spec, engine.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	c := res.Report.Completion
	fmt.Printf("%s: %d/%d flows completed\n", res.Report.Verdict, c.Completed, c.Attempted)
	// Output: passed: 3/3 flows completed
}

// Plan says what a spec would run, starting nothing.
func ExamplePlan() {
	spec := engine.DefaultSpec()
	spec.LabelFilter = "revocation && !session-deleted"
	specs, err := engine.Plan(spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range specs {
		fmt.Println(s.ID)
	}
	// Output:
	// logout
	// refresh
	// expiry
	// session-refresh
	// session-deleted
}
