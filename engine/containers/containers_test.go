package containers

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/gpcheck/gpcheck/fixtures/sut"
	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/harness/load"
)

// needDocker skips t when no Docker engine answers.
func needDocker(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := Available(ctx); err != nil {
		t.Skipf("skipping: no Docker engine answers (%v); these tests run wherever one does, as on CI and developer machines", err)
	}
}

// runGoldenPath drives the plans of seed through env and fails t on any
// flow that did not complete.
func runGoldenPath(ctx context.Context, t *testing.T, env *harness.Env, users int, seed uint64) {
	t.Helper()
	plans, _ := load.Plans(load.Options{Users: users, Seed: seed})
	d := flow.Driver{Env: env}
	for _, p := range plans {
		res := d.Run(ctx, p)
		if len(res.Messages) == 0 {
			t.Fatalf("%s: no message ran", p.Label())
		}
		for _, m := range res.Messages {
			if !m.Completed() {
				t.Errorf("%s message %d failed at %s: %s", p.Label(), m.Index, m.Failure.Stage, m.Failure.Cause)
			}
		}
	}
}

// healthy reports whether url/health answers 200 within a second.
func healthy(url string) bool {
	c := &http.Client{Timeout: time.Second}
	resp, err := c.Get(url + "/health")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// TestContainersTarget starts the clean containers target once and, on it,
// runs a golden path, disturbs services and brings them back, writes logs,
// and finally proves that Close leaves nothing of the run behind.
func TestContainersTarget(t *testing.T) {
	needDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	started := time.Now()
	target, err := Start(ctx, Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("run %s up in %s: auth %s, backend %s, ws %s", target.RunID, time.Since(started).Round(time.Millisecond),
		target.AuthURL, target.BackendURL, target.WSURL)
	closed := false
	defer func() {
		if !closed {
			_ = target.Close(context.Background())
		}
	}()

	if target.Kind != "containers" || target.Origin != sut.DefaultOrigin || target.ServiceID != "gpcheck" ||
		target.ServiceSecret == "" || len(target.SigningKey) != 32 || target.BypassKey == "" {
		t.Fatalf("target not described fully: kind %q origin %q service id %q", target.Kind, target.Origin, target.ServiceID)
	}
	if got := len(target.Secrets()); got != 6 {
		t.Errorf("Secrets: %d, want 6", got)
	}
	env, err := harness.NewEnv(target.Target)
	if err != nil {
		t.Fatalf("NewEnv: %v", err)
	}
	if err := env.Preflight(ctx); err != nil {
		t.Fatalf("Preflight: %v", err)
	}

	t.Run("golden path", func(t *testing.T) {
		runGoldenPath(ctx, t, env, 2, 1)
	})

	t.Run("stop and start backend", func(t *testing.T) {
		if err := target.Stop(ctx, sut.ServiceBackend); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if healthy(target.BackendURL) {
			t.Fatal("backend still answers after Stop")
		}
		if err := target.Start(ctx, sut.ServiceBackend); err != nil {
			t.Fatalf("Start: %v", err)
		}
		if !healthy(target.BackendURL) {
			t.Fatal("backend does not answer at its old URL after Start")
		}
		// The users live in auth, which kept running; the backend's threads
		// are gone, and new flows work on the restarted backend.
		runGoldenPath(ctx, t, env, 1, 2)
	})

	t.Run("pause and unpause auth", func(t *testing.T) {
		if err := target.Pause(ctx, sut.ServiceAuth); err != nil {
			t.Fatalf("Pause: %v", err)
		}
		if healthy(target.AuthURL) {
			t.Error("auth answers while paused")
		}
		if err := target.Unpause(ctx, sut.ServiceAuth); err != nil {
			t.Fatalf("Unpause: %v", err)
		}
		if !healthy(target.AuthURL) {
			t.Error("auth does not answer after Unpause")
		}
	})

	t.Run("disconnect and connect ws", func(t *testing.T) {
		if err := target.Disconnect(ctx, sut.ServiceWS); err != nil {
			t.Fatalf("Disconnect: %v", err)
		}
		if healthy(strings.Replace(strings.TrimSuffix(target.WSURL, "/ws"), "ws://", "http://", 1)) {
			t.Error("ws answers while disconnected")
		}
		if err := target.Connect(ctx, sut.ServiceWS); err != nil {
			t.Fatalf("Connect: %v", err)
		}
		runGoldenPath(ctx, t, env, 1, 3)
	})

	t.Run("unknown service", func(t *testing.T) {
		if err := target.Stop(ctx, "frontend"); err == nil {
			t.Error("Stop of an unknown service succeeded")
		}
	})

	t.Run("logs", func(t *testing.T) {
		dir := t.TempDir()
		if err := target.Logs(ctx, dir); err != nil {
			t.Fatalf("Logs: %v", err)
		}
		for _, s := range sut.Services() {
			b, err := os.ReadFile(filepath.Join(dir, s+".log"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), s+" serving on") {
				t.Errorf("%s.log lacks the serving line: %q", s, b)
			}
			for _, secret := range target.Secrets() {
				if strings.Contains(string(b), secret) {
					t.Errorf("%s.log holds a secret", s)
				}
			}
		}
		b, _ := os.ReadFile(filepath.Join(dir, "backend.log"))
		if n := strings.Count(string(b), "backend serving on"); n != 2 {
			t.Errorf("backend.log shows %d starts, want 2 (before and after Stop/Start)", n)
		}
	})

	if err := target.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	closed = true
	assertGone(ctx, t, target.RunID)
	if err := target.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// assertGone checks through the Docker API that no container, network or
// image of run is left: `docker ps -a`, `docker network ls` and `docker
// images` with --filter label=gpcheck.run=<run>.
func assertGone(ctx context.Context, t *testing.T, run string) {
	t.Helper()
	p, err := newProvider(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cli := p.Client()
	f := make(client.Filters).Add("label", LabelRun+"="+run)
	ctrs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ctrs.Items {
		t.Errorf("container left: %s %v", c.ID[:12], c.Names)
	}
	nets, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nets.Items {
		t.Errorf("network left: %s", n.Name)
	}
	imgs, err := cli.ImageList(ctx, client.ImageListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range imgs.Items {
		t.Errorf("image left: %s %v", im.ID, im.RepoTags)
	}
}

// TestRemoveLabelled shows the removal behind Clean on one run's label, so
// that the test never touches other runs.
func TestRemoveLabelled(t *testing.T) {
	needDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := newProvider(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cli := p.Client()
	run := "test-" + NewRunID()
	if _, err := cli.NetworkCreate(ctx, "gpcheck-"+run, client.NetworkCreateOptions{Driver: "bridge", Labels: map[string]string{LabelRun: run}}); err != nil {
		t.Fatal(err)
	}
	n, err := removeLabelled(ctx, cli, LabelRun+"="+run)
	if err != nil || n != 1 {
		t.Fatalf("removeLabelled = %d, %v; want 1, nil", n, err)
	}
	assertGone(ctx, t, run)
}

// TestStartWithMissingImage shows that a given image that is not on the
// Docker host fails at once, with nothing left behind and nothing pulled.
func TestStartWithMissingImage(t *testing.T) {
	needDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ref := "gpcheck-absent:" + NewRunID()
	_, err := Start(ctx, Options{Images: Images{Auth: ref, Backend: ref, WS: ref}})
	if err == nil || !strings.Contains(err.Error(), "nothing is pulled") {
		t.Fatalf("Start with a missing image: %v", err)
	}
}

func TestCheckStatic(t *testing.T) {
	if err := checkStatic(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Error("checkStatic accepted a missing file")
	}
	if _, err := os.Stat("/bin/ls"); err == nil {
		if err := checkStatic("/bin/ls"); err == nil || !strings.Contains(err.Error(), "dynamically linked") {
			t.Errorf("checkStatic(/bin/ls) = %v, want dynamically linked", err)
		}
	}
}

// BenchmarkColdStart measures a containers target from nothing to three
// healthy services, then Close. "build": the gpcheck binary (from the Go
// build cache after the first iteration) and one FROM scratch image, used by
// all three containers, are built every time. "prebuilt": the image is
// given, so only the network and containers are created.
func BenchmarkColdStart(b *testing.B) {
	needDocker(b)
	ctx := context.Background()
	b.Run("build", func(b *testing.B) {
		coldStarts(ctx, b, Options{})
	})
	b.Run("prebuilt", func(b *testing.B) {
		p, err := newProvider(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		run := "bench-" + NewRunID()
		ref, err := buildImage(ctx, p, run, Options{}, newLogger(nil))
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _, _ = removeLabelled(context.Background(), p.Client(), LabelRun+"="+run) }()
		coldStarts(ctx, b, Options{Images: Images{Auth: ref, Backend: ref, WS: ref}})
	})
}

func coldStarts(ctx context.Context, b *testing.B, opts Options) {
	var up time.Duration
	n := 0
	for b.Loop() {
		started := time.Now()
		target, err := Start(ctx, opts)
		if err != nil {
			b.Fatal(err)
		}
		up += time.Since(started)
		n++
		if err := target.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(up.Seconds()/float64(n), "s/healthy")
}

// TestMain makes the choice gpcheck's main makes: testcontainers' reaper
// stays off (it would pull an image), unless the environment chose.
func TestMain(m *testing.M) {
	if _, ok := os.LookupEnv(ryukEnv); !ok {
		os.Setenv(ryukEnv, "true")
	}
	os.Exit(m.Run())
}
