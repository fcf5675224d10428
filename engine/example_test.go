package engine_test

import (
	"context"
	"fmt"

	"github.com/gpcheck/gpcheck/engine"
	"github.com/gpcheck/gpcheck/fixtures/sut"
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

// A remote target: a deployment reached at its URLs (here the reference
// services, started in this process), with the service secret read from
// the environment as GPCHECK_SERVICE_SECRET.
func ExampleRun_remote() {
	s, err := sut.Start(context.Background(), sut.Options{HarnessServiceSecret: "example-secret"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	spec := engine.DefaultSpec()
	spec.Target, spec.AuthURL, spec.BackendURL, spec.WSURL = "remote", s.AuthURL, s.BackendURL, s.WSURL
	spec.Users, spec.Seed, spec.LabelFilter, spec.ReportDir = 2, 42, "isolation", ""
	res, err := engine.Run(context.Background(), spec, engine.Options{Getenv: func(name string) string {
		if name == "GPCHECK_SERVICE_SECRET" {
			return "example-secret"
		}
		return ""
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Report.Target.Kind, res.Report.Verdict)
	// Output: remote passed
}
