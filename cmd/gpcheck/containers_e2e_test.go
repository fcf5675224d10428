package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/engine/containers"
)

// needDocker skips container tests, saying so plainly, where no Docker
// engine answers.
func needDocker(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := containers.Available(ctx); err != nil {
		t.Skipf("skipping container test: no Docker engine answers (%v); it runs wherever one does, as on CI and developer machines", err)
	}
}

// TestContainersTarget runs the specs against the reference services in
// FROM scratch containers: clean passes, and two faults fail with the
// finding meant for them.
func TestContainersTarget(t *testing.T) {
	needDocker(t)
	cases := []struct {
		fault string
		code  int
		kind  string
	}{
		{"", exitOK, ""},
		{"ws-unverified-claims", exitFailed, "token_verdict_mismatch"},
		{"backend-local-decode", exitFailed, "stage_failure"},
	}
	for _, c := range cases {
		name := c.fault
		if name == "" {
			name = "clean"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args := []string{"run", "--target", "containers", "--users", "8", "--seed", "3"}
			if c.fault != "" {
				args = append(args, "--fault", c.fault)
			}
			r := gpcheck(t, 6*time.Minute, args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, c.code, r.stdout, r.stderr)
			}
			if c.kind != "" {
				byKind, _ := r.report["findings_by_kind"].(map[string]any)
				if byKind[c.kind] == nil {
					t.Errorf("no %s finding: %v", c.kind, byKind)
				}
			}
		})
	}
}

// TestContainersInterruptLeavesNothing interrupts a containers run at a
// random moment and checks that no container or network of it is left.
func TestContainersInterruptLeavesNothing(t *testing.T) {
	needDocker(t)
	cmd := exec.Command(gpcheckBin, "run", "--target", "containers", "--users", "8", "--report-dir", t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	wait := time.Duration(1000+rand.IntN(9000)) * time.Millisecond
	time.Sleep(wait)
	_ = cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("gpcheck did not stop within 3 min of SIGINT (sent after %s)\n%s", wait, out.String())
	}
	// Other runs (other packages' tests) may share the engine: look for
	// this run's label value, which gpcheck prints before it creates
	// anything; for any run only if it never got that far.
	label := containers.LabelRun
	if m := regexp.MustCompile(`\(run ([0-9a-z-]+)\)`).FindStringSubmatch(out.String()); m != nil {
		label += "=" + m[1]
	}
	for _, what := range [][]string{
		{"ps", "-a", "-q", "--filter", "label=" + label},
		{"network", "ls", "-q", "--filter", "label=" + label},
	} {
		b, err := exec.Command("docker", what...).CombinedOutput()
		if err != nil {
			t.Fatalf("docker %v: %v\n%s", what, err, b)
		}
		if s := strings.TrimSpace(string(b)); s != "" {
			t.Errorf("after SIGINT at %s, docker %v still lists:\n%s\noutput:\n%s", wait, what, s, out.String())
		}
	}
}
