package compose

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/gpcheck/gpcheck/engine/containers"
)

// TestMain makes the choice gpcheck's main makes: testcontainers' reaper
// stays off (it would pull an image), unless the environment chose.
func TestMain(m *testing.M) {
	if _, ok := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !ok {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	os.Exit(m.Run())
}

// needDocker skips t when no Docker engine answers.
func needDocker(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := containers.Available(ctx); err != nil {
		t.Skipf("skipping: no Docker engine answers (%v); these tests run wherever one does, as on CI and developer machines", err)
	}
}

// platformImage builds the stand-in platform (testdata/platform) as a
// static binary in a FROM scratch image, labelled so that t's cleanup
// removes it, and returns its reference and id.
func platformImage(t *testing.T) (ref, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(dir, "platform"), "./testdata/platform")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the platform: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY platform /platform\nENTRYPOINT [\"/platform\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := containers.Connect(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	run := "test-" + containers.NewRunID()
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), time.Minute)
		defer ccancel()
		if err := containers.RemoveRun(cctx, p.Client(), run); err != nil {
			t.Errorf("remove the platform image: %v", err)
		}
		_ = p.Close()
	})
	labels := map[string]string{containers.LabelRun: run}
	ref, err = p.BuildImage(ctx, &testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context: dir, Repo: "gpcheck-platform-test", Tag: run,
		BuildOptionsModifier: func(o *client.ImageBuildOptions) { o.Labels = labels },
	}, Labels: labels})
	if err != nil {
		t.Fatalf("build the platform image: %v", err)
	}
	if id, err = containers.ImageID(ctx, p.Client(), "platform", ref); err != nil {
		t.Fatal(err)
	}
	return ref, id
}

// platformProject copies testdata/platform's Compose file into a folder of its
// own with an env file (image, secrets, extra lines) and returns the
// options that start it.
func platformProject(t *testing.T, image string, extraEnv ...string) Options {
	t.Helper()
	compose, err := os.ReadFile("testdata/platform/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	gw, err := os.ReadFile("testdata/platform/gateway.env")
	if err != nil {
		t.Fatal(err)
	}
	env := append([]string{
		"PLATFORM_IMAGE=" + image,
		"JWT_SECRET_HEX=" + strings.Repeat("ab", 32),
		"API_CLIENT_SECRET=api-client-secret-1",
		"GATEWAY_CLIENT_SECRET=gateway-client-secret-1",
		"STORE_WARMUP=500ms", "MIGRATE_DELAY=300ms",
	}, extraEnv...)
	dir := writeProject(t, map[string]string{"compose.yaml": string(compose), "gateway.env": string(gw), "ci.env": strings.Join(env, "\n") + "\n"})
	return Options{
		Files:   []string{filepath.Join(dir, "compose.yaml")},
		EnvFile: filepath.Join(dir, "ci.env"),
		Getenv:  getenv(map[string]string{"GPCHECK_SERVICE_SECRET": "harness-secret-1"}),
		Roles:   map[string]Role{"auth": {Service: "identity"}, "backend": {Service: "api"}, "ws": {Service: "gateway", Port: 9103}},
		RunID:   "test-" + containers.NewRunID(),
		Log:     testWriter{t},
	}
}

// testWriter sends progress lines to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// up starts opts and registers its Close with t.
func up(t *testing.T, opts Options) (*Deployment, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d, err := Up(ctx, opts)
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), time.Minute)
		defer ccancel()
		if d != nil {
			if err := d.Close(cctx); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
		assertGone(cctx, t, opts.RunID)
	})
	return d, err
}

// assertGone checks that nothing labelled with run is left.
func assertGone(ctx context.Context, t *testing.T, run string) {
	t.Helper()
	p, err := containers.Connect(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cli := p.Client()
	f := make(client.Filters).Add("label", containers.LabelRun+"="+run)
	ctrs, _ := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	nets, _ := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	vols, _ := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	imgs, _ := cli.ImageList(ctx, client.ImageListOptions{Filters: f})
	if n := len(ctrs.Items) + len(nets.Items) + len(vols.Items) + len(imgs.Items); n > 0 {
		t.Errorf("run %s left %d container(s), %d network(s), %d volume(s), %d image(s)", run, len(ctrs.Items), len(nets.Items), len(vols.Items), len(imgs.Items))
	}
}

// status is the HTTP status of GET url, 0 when nothing answers in a
// second.
func status(url string) int {
	c := &http.Client{Timeout: time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestUp starts the stand-in platform's project — a healthcheck-gated
// store, a migration job that must complete first, three role services
// under their own names — and, on it, disturbs each role through the
// Controller, writes the logs, and proves that Close leaves nothing; then
// it shows the ways a project fails to start, each cleaned up.
func TestUp(t *testing.T) {
	needDocker(t)
	image, imageID := platformImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	t.Run("clean", func(t *testing.T) {
		opts := platformProject(t, image)
		started := time.Now()
		d, err := up(t, opts)
		if err != nil {
			t.Fatalf("Up: %v", err)
		}
		t.Logf("up in %s", time.Since(started).Round(time.Millisecond))
		for _, role := range roleNames {
			if got := status(d.URL(role) + "/health"); got != http.StatusOK {
				t.Errorf("%s: /health answered %d", role, got)
			}
		}
		if got := status(d.URL("ws") + "/ws"); got != http.StatusNotFound {
			t.Errorf("the gateway's reference path answered %d, want 404 (its path is /chat/socket)", got)
		}
		digests := d.Digests()
		for _, s := range []string{"store", "migrate", "identity", "api", "gateway"} {
			if digests[s] != imageID {
				t.Errorf("digest of %s = %q, want the image's id %q", s, digests[s], imageID)
			}
		}
		if h := d.Hashes(); len(h) != 3 || h[opts.Files[0]] == "" || h[opts.EnvFile] == "" || h[filepath.Join(filepath.Dir(opts.Files[0]), "gateway.env")] == "" {
			t.Errorf("hashes %v, want the Compose file's, the env file's and the gateway's env_file's", h)
		}
		secrets := strings.Join(d.Secrets(), " ")
		for _, s := range []string{strings.Repeat("ab", 32), "api-client-secret-1", "gateway-client-secret-1", "harness-secret-1"} {
			if !strings.Contains(secrets, s) {
				t.Errorf("Secrets lacks %s", s)
			}
		}
		if v, _ := d.Var("JWT_SECRET_HEX"); v != strings.Repeat("ab", 32) {
			t.Errorf("Var(JWT_SECRET_HEX) = %q", v)
		}

		for _, c := range []struct {
			role         string
			break_, mend func(context.Context, string) error
		}{
			{"backend", d.Stop, d.Start},
			{"auth", d.Pause, d.Unpause},
			{"ws", d.Disconnect, d.Connect},
		} {
			url := d.URL(c.role)
			if err := c.break_(ctx, c.role); err != nil {
				t.Fatalf("break %s: %v", c.role, err)
			}
			if got := status(url + "/health"); got != 0 {
				t.Errorf("%s answers %d while broken", c.role, got)
			}
			if err := c.mend(ctx, c.role); err != nil {
				t.Fatalf("mend %s: %v", c.role, err)
			}
			if got := status(url + "/health"); got != http.StatusOK {
				t.Errorf("%s answers %d at its old URL once mended", c.role, got)
			}
		}
		if err := d.Stop(ctx, "frontend"); err == nil {
			t.Error("Stop of an unknown role succeeded")
		}

		dir := t.TempDir()
		if err := d.Logs(ctx, dir); err != nil {
			t.Fatalf("Logs: %v", err)
		}
		for name, want := range map[string]string{"migrate": "migrated to 0042", "store": "store serving", "gateway": "gateway (ws) serving"} {
			b, _ := os.ReadFile(filepath.Join(dir, name+".log"))
			if !strings.Contains(string(b), want) {
				t.Errorf("%s.log lacks %q: %q", name, want, b)
			}
		}
		b, _ := os.ReadFile(filepath.Join(dir, "api.log"))
		if n := strings.Count(string(b), "api (backend) serving"); n != 2 {
			t.Errorf("api.log shows %d starts, want 2 (before and after Stop/Start)", n)
		}
		if err := d.Close(ctx); err != nil {
			t.Fatalf("Close: %v", err)
		}
		assertGone(ctx, t, opts.RunID)
	})

	t.Run("pinned images run whatever the file names", func(t *testing.T) {
		opts := platformProject(t, "gpcheck-absent:pinned")
		opts.Pins = map[string]string{}
		for _, s := range []string{"store", "migrate", "identity", "api", "gateway"} {
			opts.Pins[s] = imageID
		}
		d, err := up(t, opts)
		if err != nil {
			t.Fatalf("Up with pins: %v", err)
		}
		if d.Digests()["api"] != imageID {
			t.Errorf("api ran %s", d.Digests()["api"])
		}
	})

	t.Run("build", func(t *testing.T) {
		opts := platformProject(t, image)
		dir := filepath.Dir(opts.Files[0])
		if err := os.MkdirAll(filepath.Join(dir, "store"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "store", "Dockerfile"), []byte("FROM "+image+"\nLABEL built=here\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(opts.Files[0])
		text := strings.Replace(string(b), "  store:\n    <<: *platform\n", "  store:\n    build: ./store\n", 1)
		if err := os.WriteFile(opts.Files[0], []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := up(t, opts); !errIs[*ConfigError](err) || !strings.Contains(err.Error(), "give --build") {
			t.Fatalf("Up of a build-only service without Build: %v, want a ConfigError asking for --build", err)
		}
		opts.Build, opts.RunID = true, "test-"+containers.NewRunID()
		d, err := up(t, opts)
		if err != nil {
			t.Fatalf("Up with Build: %v", err)
		}
		if id := d.Digests()["store"]; id == "" || id == imageID {
			t.Errorf("store ran %q, want an image built for the run", id)
		}
	})

	for _, tc := range []struct {
		name   string
		env    []string
		config bool     // a *ConfigError, not a failure to start
		want   []string // in the error
	}{
		{"missing image", []string{"PLATFORM_IMAGE=gpcheck-absent:1"}, true, []string{"gpcheck-absent:1", "nothing is pulled"}},
		{"failed migration", []string{"MIGRATE_FAIL=true"}, false, []string{"migrate exited with code 1", "relation already exists"}},
		{"a role that never answers", []string{"IDENTITY_PORT=9111"}, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := platformProject(t, image, tc.env...)
			opts.FailureLogs = filepath.Join(t.TempDir(), "containers")
			if tc.name == "a role that never answers" {
				// identity listens on 9111 now, but its role says 9101.
				opts.Roles["auth"] = Role{Service: "identity", Port: 9101}
				opts.StartTimeout = 10 * time.Second
			}
			_, err := up(t, opts)
			if err == nil {
				t.Fatal("Up succeeded")
			}
			t.Logf("Up: %v", err)
			if errIs[*ConfigError](err) != tc.config {
				t.Errorf("ConfigError %v, want %v: %v", !tc.config, tc.config, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if tc.name == "failed migration" {
				// The logs of a project that did not start are kept, redacted.
				b, _ := os.ReadFile(filepath.Join(opts.FailureLogs, "migrate.log"))
				if !strings.Contains(string(b), "relation already exists") || !strings.Contains(err.Error(), opts.FailureLogs) {
					t.Errorf("migrate.log %q; error %v", b, err)
				}
				b, _ = os.ReadFile(filepath.Join(opts.FailureLogs, "identity.log"))
				if len(b) == 0 || strings.Contains(string(b), strings.Repeat("ab", 32)) {
					t.Errorf("identity.log is missing or holds the signing key: %q", b)
				}
			}
		})
	}
}

func errIs[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}
