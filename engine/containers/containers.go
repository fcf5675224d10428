// Package containers is the containers target: the reference services of
// fixtures/sut, one per Docker container on a private network, started with
// testcontainers-go from an image of gpcheck itself (`gpcheck serve
// auth|backend|ws`). Unlike the local target the services talk over a real
// network, so the resilience specs can stop, pause and cut off each of them.
//
// Nothing is ever pulled: the image is built FROM scratch from a static
// gpcheck binary, or given by the user, and testcontainers' reaper (which
// would need a pulled image) is disabled. Every container, network and image
// a run creates carries the label gpcheck.run=<run id>, so Close — or, after
// a crash, Clean — can remove all of it.
package containers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	dnetwork "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/network"

	"github.com/gpcheck/gpcheck/fixtures/faults"
	"github.com/gpcheck/gpcheck/fixtures/sut"
	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/profile"
)

// LabelRun is the label every container, network and image of a run
// carries, with the run id as its value.
const LabelRun = "gpcheck.run"

// labelService names the service a container runs.
const labelService = "gpcheck.service"

// ryukEnv disables testcontainers' reaper, which would pull an image.
const ryukEnv = "TESTCONTAINERS_RYUK_DISABLED"

// Defaults of Options.
const (
	defaultStartTimeout = 3 * time.Minute
	healthTimeout       = 60 * time.Second
	stopTimeout         = 5 * time.Second
	opTimeout           = 90 * time.Second
	closeTimeout        = 60 * time.Second
)

// Images names prebuilt images to run instead of building one. Each must
// be present on the Docker host (nothing is pulled) and have gpcheck as its
// entrypoint, as deploy/Dockerfile does: the container's command is
// `serve <service> --addr :<port>`.
type Images struct {
	Auth, Backend, WS string
}

func (im Images) ref(service string) string {
	switch service {
	case sut.ServiceAuth:
		return im.Auth
	case sut.ServiceBackend:
		return im.Backend
	case sut.ServiceWS:
		return im.WS
	}
	return ""
}

// Options configures Start. The zero value builds the image from the gpcheck
// source around the working directory and runs the clean services.
type Options struct {
	// Faults switches fault modes on, passed to every service as
	// GPCHECK_FAULTS.
	Faults faults.Set
	// Images are prebuilt images; a service whose field is empty runs an
	// image built for this run (one image for all such services).
	Images Images
	// Source is the root of the gpcheck module to build ./cmd/gpcheck from;
	// empty means the module found at or above the working directory.
	Source string
	// Binary is a static (CGO_ENABLED=0) linux gpcheck binary to put in the
	// image instead of building one from Source; the running gpcheck itself
	// will do when it was built that way.
	Binary string
	// StartTimeout bounds Start, image build included; 0 means 3 minutes.
	StartTimeout time.Duration
	// RunID is the value of the gpcheck.run label of everything the run
	// creates; empty draws one (NewRunID). Given, a caller can name the run
	// before anything exists, so that what an interrupted start leaves is
	// found by its label.
	RunID string
	// Pins are the images a replayed run ran, by service, as image ids
	// (sha256:…, what Digests returned then): a pinned image still on the
	// Docker host runs instead of Images or a new build, so that a replay
	// runs the very same images. A pinned image that is gone is a
	// *MissingImageError when the service's image was given (Images); an
	// image built for a run is removed with it, so for such a service the
	// image is built again (Log says so).
	Pins map[string]string
	// Log receives testcontainers' progress lines and the build output; nil
	// discards them.
	Log io.Writer
}

// port is the container port of each service: the reference ports.
func port(service string) int {
	switch service {
	case sut.ServiceAuth:
		return 8081
	case sut.ServiceBackend:
		return 8000
	}
	return 8002
}

// service is one running service of a target.
type service struct {
	name string
	ctr  testcontainers.Container
	url  string // base URL, as the harness reaches it
}

// Deployment is a running containers target. Its harness.Target holds the URLs
// of the services' mapped host ports and the secrets the harness needs; never
// print those. Close removes everything the run created.
type Deployment struct {
	harness.Target
	// RunID is the value of the gpcheck.run label of everything this run
	// created.
	RunID string

	provider *testcontainers.DockerProvider
	net      *testcontainers.DockerNetwork
	services map[string]*service
	image    string            // the image built for this run, "" if none
	digests  map[string]string // the id of each service's image
	bindIP   string            // host address the ports are published on; "" means all
	host     string            // where the harness reaches the published ports
	secrets  []string
	http     *http.Client
}

// Start builds (or takes) the image, creates a private network, starts
// auth, backend and ws on it under their aliases and reference ports, and
// waits until each answers GET /health through its mapped host port. On
// error everything already created is removed.
func Start(ctx context.Context, opts Options) (*Deployment, error) {
	if err := reaperChosen(); err != nil {
		return nil, err
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = defaultStartTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	logger := newLogger(opts.Log)
	provider, err := newProvider(ctx, logger)
	if err != nil {
		return nil, err
	}
	if opts.RunID == "" {
		opts.RunID = NewRunID()
	}
	t := &Deployment{
		RunID:    opts.RunID,
		provider: provider,
		services: map[string]*service{},
		http:     &http.Client{Timeout: 5 * time.Second},
	}
	fail := func(err error) (*Deployment, error) {
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
		defer ccancel()
		if cerr := t.Close(cctx); cerr != nil {
			err = errors.Join(err, fmt.Errorf("clean up run %s: %w", t.RunID, cerr))
		}
		return nil, err
	}
	labels := map[string]string{LabelRun: t.RunID}

	refs := map[string]string{}
	t.digests = map[string]string{}
	for _, s := range sut.Services() {
		if pin := opts.Pins[s]; pin != "" {
			id, err := ImageID(ctx, provider.Client(), s, pin)
			var missing *MissingImageError
			switch {
			case err == nil:
				refs[s], t.digests[s] = pin, id
				continue
			case !errors.As(err, &missing):
				return fail(err)
			case opts.Images.ref(s) != "":
				missing.Hint = fmt.Sprintf("the replayed run ran it as %s; load that image again", opts.Images.ref(s))
				return fail(missing)
			}
			logger.Printf("image %.19s… that %s ran in the replayed run was built for that run and removed with it: building one again from the source", pin, s)
		}
		if ref := opts.Images.ref(s); ref != "" {
			id, err := ImageID(ctx, provider.Client(), s, ref)
			if err != nil {
				return fail(err)
			}
			refs[s], t.digests[s] = ref, id
			continue
		}
		if t.image == "" {
			if t.image, err = buildImage(ctx, provider, t.RunID, opts, logger); err != nil {
				return fail(err)
			}
		}
		refs[s] = t.image
		if t.digests[s], err = ImageID(ctx, provider.Client(), s, t.image); err != nil {
			return fail(err)
		}
	}

	t.net, err = network.New(ctx, network.WithLabels(labels))
	if err != nil {
		return fail(fmt.Errorf("create network: %w", err))
	}

	signingKey := randomBytes(32)
	bypass := randomHex(16)
	backendSecret, gatewaySecret, harnessSecret := randomHex(16), randomHex(16), randomHex(16)
	t.secrets = []string{hex.EncodeToString(signingKey), string(signingKey), bypass, backendSecret, gatewaySecret, harnessSecret}
	faultList := strings.Join(opts.Faults.List(), ",")
	authURL := fmt.Sprintf("http://%s:%d", sut.ServiceAuth, port(sut.ServiceAuth))
	env := map[string]map[string]string{
		sut.ServiceAuth: {
			sut.EnvSigningKey: hex.EncodeToString(signingKey), sut.EnvBypassKey: bypass, sut.EnvFaults: faultList,
			sut.EnvBackendSecret: backendSecret, sut.EnvGatewaySecret: gatewaySecret, sut.EnvHarnessSecret: harnessSecret,
		},
		sut.ServiceBackend: {
			sut.EnvAuthURL: authURL, sut.EnvFaults: faultList, sut.EnvBackendSecret: backendSecret,
		},
		sut.ServiceWS: {
			sut.EnvAuthURL: authURL, sut.EnvBackendURL: fmt.Sprintf("http://%s:%d", sut.ServiceBackend, port(sut.ServiceBackend)),
			sut.EnvFaults: faultList, sut.EnvAllowedOrigins: sut.DefaultOrigin, sut.EnvGatewaySecret: gatewaySecret,
		},
	}

	// We choose the host ports ourselves: Docker would give a restarted or
	// reconnected container a new ephemeral port (and Docker 20.10 even
	// different ones for IPv4 and IPv6), and the harness's URLs must survive
	// that. When the Docker engine shares our network namespace the ports
	// are published on loopback only; otherwise on all its interfaces,
	// reached at the address testcontainers finds for it.
	if t.host, t.bindIP, err = PublishAddress(ctx, provider, t.net.ID); err != nil {
		return fail(err)
	}

	// The services do not call each other until a request arrives, so they
	// start at once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, name := range sut.Services() {
		wg.Go(func() {
			s, err := t.startService(ctx, name, refs[name], env[name], labels, logger)
			mu.Lock()
			defer mu.Unlock()
			if s != nil {
				t.services[name] = s
			}
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fail(err)
	}

	t.Target = harness.Target{
		Kind:          "containers",
		AuthURL:       t.services[sut.ServiceAuth].url,
		BackendURL:    t.services[sut.ServiceBackend].url,
		WSURL:         "ws://" + strings.TrimPrefix(t.services[sut.ServiceWS].url, "http://") + "/ws",
		Origin:        sut.DefaultOrigin,
		Users:         profile.UsersRegister,
		BypassKey:     bypass,
		ServiceID:     "gpcheck",
		ServiceSecret: harnessSecret,
		SigningKey:    signingKey,
	}
	return t, nil
}

// startService creates and starts one service's container and waits for its
// health check. It returns the service even with an error once a container
// exists, so that Close can remove it.
func (t *Deployment) startService(ctx context.Context, name, image string, env, labels map[string]string, logger tclog.Logger) (*service, error) {
	cport := dnetwork.MustParsePort(fmt.Sprintf("%d/tcp", port(name)))
	ctrLabels := map[string]string{labelService: name}
	for k, v := range labels {
		ctrLabels[k] = v
	}
	const attempts = 3 // a port may be taken between choosing and binding it
	var lastErr error
	for range attempts {
		hostPort, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("%s: choose a host port: %w", name, err)
		}
		binding := dnetwork.PortBinding{HostPort: strconv.Itoa(hostPort)}
		if t.bindIP != "" {
			binding.HostIP = netip.MustParseAddr(t.bindIP)
		}
		req := testcontainers.GenericContainerRequest{
			ContainerRequest: testcontainers.ContainerRequest{
				Image:          image,
				Name:           fmt.Sprintf("gpcheck-%s-%s", t.RunID, name),
				Cmd:            []string{"serve", name, "--addr", fmt.Sprintf(":%d", port(name))},
				Env:            env,
				Labels:         ctrLabels,
				ExposedPorts:   []string{cport.String()},
				Networks:       []string{t.net.Name},
				NetworkAliases: map[string][]string{t.net.Name: {name}},
				HostConfigModifier: func(hc *container.HostConfig) {
					hc.PortBindings = dnetwork.PortMap{cport: {binding}}
				},
			},
			Started: true,
			Logger:  logger,
		}
		ctr, err := testcontainers.GenericContainer(ctx, req)
		if err == nil {
			// Health is checked at the URL the harness will use, not at the
			// address testcontainers' wait strategies would pick.
			s := &service{name: name, ctr: ctr, url: "http://" + net.JoinHostPort(t.host, strconv.Itoa(hostPort))}
			return s, t.waitHealthy(ctx, s)
		}
		lastErr = fmt.Errorf("start %s: %w", name, err)
		if ctr != nil {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
			_ = ctr.Terminate(rctx, testcontainers.StopTimeout(stopTimeout))
			cancel()
		}
		if !portTaken(err) || ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// Secrets lists every secret of the target, for report redaction.
func (t *Deployment) Secrets() []string { return append([]string(nil), t.secrets...) }

// Digests returns the id (sha256:…) of the image each service runs, by
// service: what a report records so that a replay runs the same images
// (Options.Pins).
func (t *Deployment) Digests() map[string]string {
	out := make(map[string]string, len(t.digests))
	for k, v := range t.digests {
		out[k] = v
	}
	return out
}

// Close terminates the containers and removes the network and the image
// built for the run, then removes anything else labelled with the run. It
// succeeds when nothing of the run is left, so it is safe to call twice.
func (t *Deployment) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, closeTimeout)
	defer cancel()
	var errs []error
	for _, s := range t.services {
		if s.ctr != nil {
			if err := s.ctr.Terminate(ctx, testcontainers.StopTimeout(stopTimeout)); err != nil {
				errs = append(errs, fmt.Errorf("terminate %s: %w", s.name, err))
			}
		}
	}
	if t.net != nil {
		if err := t.net.Remove(ctx); err != nil {
			errs = append(errs, fmt.Errorf("remove network: %w", err))
		}
	}
	if t.image != "" {
		if _, err := t.provider.Client().ImageRemove(ctx, t.image, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil {
			errs = append(errs, fmt.Errorf("remove image %s: %w", t.image, err))
		}
	}
	// Whatever the steps above missed (a half-started run, a container
	// testcontainers lost track of) is found again by its label.
	if _, err := removeLabelled(ctx, t.provider.Client(), LabelRun+"="+t.RunID); err != nil {
		return errors.Join(append(errs, err)...)
	}
	left, err := countLabelled(ctx, t.provider.Client(), LabelRun+"="+t.RunID)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	if left > 0 {
		return errors.Join(append(errs, fmt.Errorf("%d container(s), network(s) or image(s) of run %s are left", left, t.RunID))...)
	}
	_ = t.provider.Close()
	return nil
}

// Logs writes each container's output to dir/<service>.log, creating dir.
// Call it before Close, which removes the containers.
func (t *Deployment) Logs(ctx context.Context, dir string) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("container logs: %w", err)
	}
	var errs []error
	for _, name := range sut.Services() {
		s := t.services[name]
		if s == nil || s.ctr == nil {
			continue
		}
		if err := writeLog(ctx, s.ctr, filepath.Join(dir, name+".log")); err != nil {
			errs = append(errs, fmt.Errorf("%s log: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func writeLog(ctx context.Context, ctr testcontainers.Container, path string) error {
	rc, err := ctr.Logs(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// reaperChosen refuses to go on while TESTCONTAINERS_RYUK_DISABLED is
// unset: testcontainers would start its reaper, which pulls an image, and
// it reads its configuration once per process, so the choice must be made
// before any call. gpcheck's main sets it to true unless the user chose;
// a program using this package must do the same.
func reaperChosen() error {
	if _, ok := os.LookupEnv(ryukEnv); !ok {
		return fmt.Errorf("set %s=true before using the containers target (testcontainers' reaper would pull an image)", ryukEnv)
	}
	return nil
}

// newLogger returns a testcontainers logger writing to w, or discarding.
func newLogger(w io.Writer) tclog.Logger {
	if w == nil {
		return tclog.NewNoopLogger()
	}
	return stdlog.New(w, "containers: ", 0)
}

// NewRunID returns a short unique run id: time-ordered, then random.
func NewRunID() string {
	return time.Now().UTC().Format("20060102t150405") + "-" + randomHex(3)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// portTaken reports whether err is Docker failing to bind a host port.
func portTaken(err error) bool {
	s := err.Error()
	return strings.Contains(s, "port is already allocated") || strings.Contains(s, "address already in use")
}
