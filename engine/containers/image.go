package containers

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// modulePath is gpcheck's module path, how its source root is recognised.
const modulePath = "github.com/gpcheck/gpcheck"

// imageRepo is the repository of the images built for runs; the tag is the
// run id.
const imageRepo = "gpcheck-run"

// dockerfile is the image: the static binary and nothing else, as
// deploy/Dockerfile, so that the build needs no registry.
const dockerfile = `FROM scratch
COPY gpcheck /gpcheck
ENTRYPOINT ["/gpcheck"]
`

// buildImage puts a static linux gpcheck binary — opts.Binary, or one built
// from the source — into a FROM scratch image labelled with the run, and
// returns its reference.
func buildImage(ctx context.Context, provider *testcontainers.DockerProvider, runID string, opts Options, logger tclog.Logger) (string, error) {
	dir, err := os.MkdirTemp("", "gpcheck-image-")
	if err != nil {
		return "", fmt.Errorf("build context: %w", err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "gpcheck")

	if opts.Binary != "" {
		if err := checkStatic(opts.Binary); err != nil {
			return "", err
		}
		if err := copyFile(opts.Binary, bin); err != nil {
			return "", fmt.Errorf("build context: %w", err)
		}
	} else {
		arch := runtime.GOARCH
		if v, err := provider.Client().ServerVersion(ctx, client.ServerVersionOptions{}); err == nil && v.Arch != "" {
			arch = v.Arch // the Docker host's architecture, which may not be ours
		}
		if err := goBuild(ctx, opts.Source, bin, arch, opts.Log); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return "", fmt.Errorf("build context: %w", err)
	}

	buildLog := opts.Log
	if buildLog == nil {
		buildLog = io.Discard
	}
	labels := map[string]string{LabelRun: runID}
	req := testcontainers.ContainerRequest{
		FromDockerfile: testcontainers.FromDockerfile{
			Context:        dir,
			Repo:           imageRepo,
			Tag:            runID,
			BuildLogWriter: buildLog,
			BuildOptionsModifier: func(o *client.ImageBuildOptions) {
				o.Labels = labels
			},
		},
		Labels: labels,
	}
	logger.Printf("building image %s:%s", imageRepo, runID)
	ref, err := provider.BuildImage(ctx, &req)
	if err != nil {
		return "", fmt.Errorf("build image: %w", err)
	}
	return ref, nil
}

// goBuild builds ./cmd/gpcheck of the module at src (found from the working
// directory when empty) as a static linux binary at out.
func goBuild(ctx context.Context, src, out, arch string, log io.Writer) error {
	if src == "" {
		var err error
		if src, err = findSource(); err != nil {
			return err
		}
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("build gpcheck: no go toolchain on PATH (give prebuilt images or a static binary instead): %w", err)
	}
	// The flags of `make build`, so that the two share the build cache.
	cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-ldflags", "-s -w", "-o", out, "./cmd/gpcheck")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	cmd.WaitDelay = 5 * time.Second
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if log != nil {
		cmd.Stdout, cmd.Stderr = io.MultiWriter(&output, log), io.MultiWriter(&output, log)
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build gpcheck in %s: %w: %s", src, err, strings.TrimSpace(output.String()))
	}
	return nil
}

// findSource returns the root of the gpcheck module at or above the working
// directory.
func findSource() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the gpcheck source: %w", err)
	}
	for {
		if isGPCheckModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find the gpcheck source: no " + modulePath + " module at or above the working directory (run from the repository, or give prebuilt images)")
		}
		dir = parent
	}
}

func isGPCheckModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == modulePath
		}
	}
	return false
}

// checkStatic refuses a binary that cannot run in a FROM scratch image: not
// a linux ELF executable, or one that needs a dynamic loader.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("binary %s: not an ELF executable: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("binary %s is dynamically linked; build it with CGO_ENABLED=0", path)
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
