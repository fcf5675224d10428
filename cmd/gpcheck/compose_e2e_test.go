package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/gpcheck/gpcheck/engine/containers"
)

// platformSource is the stand-in for a platform's own images: gpcheck's
// reference services behind their own command line, environment names,
// ports, readiness endpoint and WebSocket path, with a store and a
// migration job, described by the Compose file beside it.
const platformSource = "../../engine/compose/testdata/platform"

// TestComposeTarget runs gpcheck against a platform's own Compose project
// as a pre-release gate does: images that are not gpcheck's (FROM
// scratch, but started with their own commands, environment and
// healthchecks), a migration job that must complete first, a
// healthcheck-gated store, a Compose file using interpolation and an env
// file that also holds the harness's service secret and the signing key.
// The clean project passes every spec — the keyed ones (the key read from
// the env file by name) and the resilience ones (through the Controller)
// included — and leaves nothing behind; a fault mode switched on through
// a GPCHECK_* variable the Compose file reads is caught, and repro replays
// it on the recorded image even after its tag has moved; an image that is
// not on the host is a setup error naming it.
func TestComposeTarget(t *testing.T) {
	needDocker(t)
	t.Parallel()
	image, imageID, retag := buildPlatformImage(t)
	dir := composeProject(t, image)
	base := []string{"run", "--target", "compose",
		"--compose-file", filepath.Join(dir, "compose.yaml"), "--env-file", filepath.Join(dir, "ci.env"),
		"--role", "auth=identity,backend=api", "--role", "ws=gateway:9103",
		"--profile", filepath.Join(dir, "platform.yaml"), "--signing-key-var", "JWT_SECRET_HEX", "--signing-key-format", "hex",
		"--origin", "https://app.platform.test", "--users", "4", "--seed", "3", "--no-progress"}
	secrets := envFileValues(t, filepath.Join(dir, "ci.env"))

	t.Run("clean", func(t *testing.T) {
		report := t.TempDir()
		r := runGPCheck(t, 4*time.Minute, nil, append(base, "--report-dir", report)...)
		if r.code != exitOK {
			t.Fatalf("exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
		}
		rep := readJSON(t, filepath.Join(report, "report.json"))
		for _, sp := range rep["specs"].([]any) {
			sp := sp.(map[string]any)
			if sp["state"] != "passed" {
				t.Errorf("spec %v: %v (every spec must run and pass: the keyed ones with the env file's key, the resilience ones through the Controller)", sp["name"], sp["state"])
			}
		}
		spec := rep["spec"].(map[string]any)
		digests, _ := spec["image_digests"].(map[string]any)
		for _, s := range []string{"store", "migrate", "identity", "api", "gateway"} {
			if digests[s] != imageID {
				t.Errorf("report records %s as %v, want the image's id %s", s, digests[s], imageID)
			}
		}
		if hashes, _ := spec["compose_hashes"].(map[string]any); len(hashes) != 3 {
			t.Errorf("compose_hashes %v, want the Compose file's, the env file's and the gateway's env_file's", hashes)
		}
		for _, s := range []string{"store", "migrate", "identity", "api", "gateway"} {
			if _, err := os.Stat(filepath.Join(report, "containers", s+".log")); err != nil {
				t.Errorf("no log of %s: %v", s, err)
			}
		}
		assertNoSecretIn(t, report, secrets)
		assertRunGone(t, r.stdout)
	})

	t.Run("fault, then repro by digest", func(t *testing.T) {
		report := t.TempDir()
		env := []string{"GPCHECK_PLATFORM_FAULTS=ws-unverified-claims"}
		r := runGPCheck(t, 2*time.Minute, env, append(base, "--report-dir", report, "--label-filter", "websocket")...)
		if r.code != exitFailed {
			t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
		}
		rep := readJSON(t, filepath.Join(report, "report.json"))
		if byKind, _ := rep["findings_by_kind"].(map[string]any); byKind["token_verdict_mismatch"] == nil {
			t.Fatalf("no token_verdict_mismatch: %v", rep["findings_by_kind"])
		}
		assertRunGone(t, r.stdout)

		// The release candidate's tag now names another image; the replay
		// still runs the one the report recorded.
		retag()
		r = runGPCheck(t, 2*time.Minute, env, "repro", "--report", report, "--finding", "F0001")
		if r.code != exitOK || !strings.Contains(r.stdout, "REPRODUCED F0001") || !strings.Contains(r.stdout, "replaying the recorded images") {
			t.Fatalf("repro: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		replay := readJSON(t, filepath.Join(report, "repro-F0001", "report.json"))
		if d := replay["spec"].(map[string]any)["image_digests"].(map[string]any); d["gateway"] != imageID {
			t.Errorf("the replay ran %v, want the recorded %s", d["gateway"], imageID)
		}
		assertRunGone(t, r.stdout)
	})

	t.Run("missing image", func(t *testing.T) {
		absent := "gpcheck-absent:" + containers.NewRunID()
		r := runGPCheck(t, time.Minute, []string{"GPCHECK_PLATFORM_IMAGE=" + absent}, append(base, "--report-dir", t.TempDir())...)
		if r.code != exitUsage || !strings.Contains(r.stderr, absent) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Fatalf("exit %d, want 2 with one line naming %s\n%s%s", r.code, absent, r.stdout, r.stderr)
		}
		assertRunGone(t, r.stdout)
	})
}

// buildPlatformImage builds the stand-in platform as a static binary in a
// FROM scratch image, and returns its reference, its id, and a function
// that moves the reference to another image (a new build of the
// candidate). t's cleanup removes every image it made.
func buildPlatformImage(t *testing.T) (ref, id string, retag func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(dir, "platform"), platformSource)
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the platform: %v\n%s", err, out)
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
			t.Errorf("remove the platform images: %v", err)
		}
		_ = p.Close()
	})
	labels := map[string]string{containers.LabelRun: run}
	ref = "gpcheck-platform-e2e:" + run
	buildImage := func(dockerfile string) string {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
			t.Fatal(err)
		}
		repo, tag, _ := strings.Cut(ref, ":")
		bctx, bcancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer bcancel()
		if _, err := p.BuildImage(bctx, &testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
			Context: dir, Repo: repo, Tag: tag,
			BuildOptionsModifier: func(o *client.ImageBuildOptions) { o.Labels = labels },
		}, Labels: labels}); err != nil {
			t.Fatalf("build the platform image: %v", err)
		}
		id, err := containers.ImageID(bctx, p.Client(), "platform", ref)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	id = buildImage("FROM scratch\nCOPY platform /platform\nENTRYPOINT [\"/platform\"]\n")
	return ref, id, func() {
		if moved := buildImage("FROM " + ref + "\nLABEL candidate=rc2\n"); moved == id {
			t.Fatal("the new build has the old id")
		}
	}
}

// composeProject lays out the platform's project: its Compose file and
// gateway settings, an env file with the image, random secrets (the
// harness's service secret and the signing key among them) and short
// warm-up times, and a profile naming the gateway's WebSocket path and the
// platform's token policy.
func composeProject(t *testing.T, image string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"compose.yaml", "gateway.env"} {
		b, err := os.ReadFile(filepath.Join(platformSource, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	random := func(n int) string {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	}
	env := strings.Join([]string{
		"# The release candidate and its secrets, as CI would write them.",
		"PLATFORM_IMAGE=" + image,
		"JWT_SECRET_HEX=" + random(32),
		"API_CLIENT_SECRET=api-" + random(12),
		"GATEWAY_CLIENT_SECRET=gw-" + random(12),
		"GPCHECK_SERVICE_SECRET=harness-" + random(12),
		"STORE_WARMUP=1s",
		"MIGRATE_DELAY=500ms",
	}, "\n") + "\n"
	profile := "name: platform\npaths:\n  ws: /chat/socket\npolicy:\n  leeway: 30s\n  iat_skew: 30s\n  duplicate_claims: reject\n" +
		"  two_credentials: reject\n  issuer: gp-auth\n  audience: gp-platform\n"
	for name, text := range map[string]string{"ci.env": env, "platform.yaml": profile} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runGPCheck runs the binary with args, gpcheck's GPCHECK_* environment
// cleared but for env.
func runGPCheck(t *testing.T, timeout time.Duration, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gpcheckBin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GPCHECK_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	r := result{stdout: so.String(), stderr: se.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("gpcheck %v did not finish within %s\n%s%s", args, timeout, r.stdout, r.stderr)
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run gpcheck: %v", err)
	}
	return r
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// envFileValues returns the values of an env file's secret lines.
func envFileValues(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.Contains(k, "SECRET") {
			out = append(out, v)
		}
	}
	return out
}

// assertNoSecretIn fails t when any file under dir holds one of secrets.
func assertNoSecretIn(t *testing.T, dir string, secrets []string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds a secret of the env file", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// assertRunGone checks that nothing labelled with the run whose id stdout
// names (gpcheck prints it before it creates anything) is left.
func assertRunGone(t *testing.T, stdout string) {
	t.Helper()
	m := regexp.MustCompile(`\(run ([0-9a-z-]+)\)`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no run id in the output:\n%s", stdout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := containers.Connect(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cli := p.Client()
	f := make(client.Filters).Add("label", containers.LabelRun+"="+m[1])
	ctrs, err1 := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	nets, err2 := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	vols, err3 := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	imgs, err4 := cli.ImageList(ctx, client.ImageListOptions{Filters: f})
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		t.Fatal(err)
	}
	if n := len(ctrs.Items) + len(nets.Items) + len(vols.Items) + len(imgs.Items); n > 0 {
		t.Errorf("run %s left %d container(s), %d network(s), %d volume(s), %d image(s)", m[1], len(ctrs.Items), len(nets.Items), len(vols.Items), len(imgs.Items))
	}
}
