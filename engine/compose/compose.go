// Package compose is the compose target: a platform's own Compose project
// (its images, databases, migration jobs, each service with its command,
// environment and healthcheck) started fresh for one run, checked, and
// torn down.
//
// The Compose files are read with the Compose specification's own Go
// loader (compose-go: interpolation with ${VAR:-default}, env files,
// merging of several files, profiles, extends), and the services are
// started here on the Docker API, in depends_on order with its conditions
// (service_started, service_healthy, service_completed_successfully for
// migration jobs). That keeps gpcheck off docker compose's CLI and its
// large dependency tree, and lets it do what a test run needs and compose
// does not: a unique project per run with everything labelled gpcheck.run
// (so that Close, or `gpcheck clean` after a crash, removes all of it),
// host ports of its own choosing for the roles only (no collision with
// another run or with what the file publishes for developers), nothing
// ever pulled, and the Controller the resilience specs use.
package compose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/gpcheck/gpcheck/engine/containers"
)

// Defaults and bounds of the Docker operations.
const (
	defaultStartTimeout = 5 * time.Minute
	opTimeout           = 90 * time.Second
	closeTimeout        = 90 * time.Second
	stopTimeout         = 5 // seconds, as the containers target
	pollEvery           = 250 * time.Millisecond
)

// labelService names the Compose service a container runs.
const labelService = "gpcheck.service"

// Options configures Up.
type Options struct {
	// Files are the Compose files, merged in order.
	Files []string
	// EnvFile holds the project's variables; empty reads the .env beside
	// the first file, if there is one.
	EnvFile string
	// Getenv reads gpcheck's environment: the GPCHECK_* variables the
	// files name reach the project through it, and win over the env file.
	Getenv func(string) string
	// Profiles are the Compose profiles to activate.
	Profiles []string
	// Roles name the service (and container port) of auth, backend and
	// ws.
	Roles map[string]Role
	// Build builds the services that have a build: section; without it a
	// service that has only a build: section is a *ConfigError.
	Build bool
	// Pins are image ids (sha256:…) by service, as Digests returned them
	// for a run being replayed: a pinned image still on the Docker host
	// runs instead of the service's image or build.
	Pins map[string]string
	// RunID labels everything the run creates (gpcheck.run) and names the
	// project, gpcheck-<RunID>; empty draws one.
	RunID string
	// StartTimeout bounds Up, builds included; 0 means 5 minutes.
	StartTimeout time.Duration
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// FailureLogs, when set, is where a project that fails to start leaves
	// each service's log (<service>.log, redacted), before Up removes it:
	// a release candidate that does not come up is diagnosed from them.
	FailureLogs string
}

// service is one Compose service as started.
type service struct {
	name    string
	cfg     types.ServiceConfig
	image   string // what the container was created from
	id      string // container id, once created
	network []endpoint
}

// endpoint is a network a service's container joins, with its aliases.
type endpoint struct {
	network string // Docker network name
	aliases []string
	links   []string
}

// Deployment is a running Compose project. Its URLs and variables may
// hold secrets; never print them unredacted (Secrets lists them). Close
// removes everything the run created.
type Deployment struct {
	// RunID is the value of the gpcheck.run label of everything this run
	// created; Project is the Compose project's name.
	RunID, Project string

	provider *testcontainers.DockerProvider
	cli      client.APIClient
	log      io.Writer
	p        *project
	services map[string]*service
	networks []string // Docker networks created, by name
	volumes  []string // Docker volumes created, by name
	built    []string // images built for the run
	digests  map[string]string
	host     string // where the harness reaches published ports
	bindIP   string // host address they are published on; "" means all
	urls     map[string]string
	http     *http.Client

	mu     sync.Mutex            // guards the fields below and urls
	cuts   map[string][]endpoint // endpoints a Disconnect took away, by service
	logged map[string]bool       // progress lines already written
}

// Up loads the project, checks that every image is on the Docker host (or
// builds it), creates the project's networks and volumes, and starts the
// services in depends_on order, waiting on each condition; then it waits
// for each role's service to be healthy (when it has a healthcheck) and to
// answer HTTP on its published port. Errors are a *ConfigError for what
// the run was given; anything else is the project failing to start. On
// error everything already created is removed.
func Up(ctx context.Context, opts Options) (*Deployment, error) {
	if opts.RunID == "" {
		opts.RunID = containers.NewRunID()
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = defaultStartTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := &Deployment{
		RunID:    opts.RunID,
		Project:  "gpcheck-" + strings.ToLower(opts.RunID),
		log:      opts.Log,
		services: map[string]*service{},
		digests:  map[string]string{},
		urls:     map[string]string{},
		cuts:     map[string][]endpoint{},
		logged:   map[string]bool{},
		http:     &http.Client{Timeout: 2 * time.Second},
	}
	if d.log == nil {
		d.log = io.Discard
	}
	var err error
	if d.p, err = load(ctx, opts, d.Project); err != nil {
		return nil, err
	}
	if len(d.p.ignored) > 0 {
		d.logf("compose: left out (no effect on what gpcheck checks): %s", strings.Join(d.p.ignored, ", "))
	}
	if d.provider, err = containers.Connect(ctx, nil); err != nil {
		return nil, fmt.Errorf("--target compose needs a Docker engine: %w", err)
	}
	d.cli = d.provider.Client()
	fail := func(err error) (*Deployment, error) {
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
		defer ccancel()
		if opts.FailureLogs != "" && d.created() {
			if lerr := d.Logs(cctx, opts.FailureLogs); lerr == nil && containers.RedactLogs(opts.FailureLogs, d.Secrets()) == nil {
				err = fmt.Errorf("%w (the services' logs are in %s)", err, opts.FailureLogs)
			}
		}
		if cerr := d.Close(cctx); cerr != nil {
			err = errors.Join(err, fmt.Errorf("clean up run %s: %w", d.RunID, cerr))
		}
		return nil, err
	}
	order, _ := startOrder(d.p.Project) // checked by load
	for _, name := range order {
		d.services[name] = &service{name: name, cfg: d.p.Services[name]}
	}
	if err := d.images(ctx, opts); err != nil {
		return fail(err)
	}
	if err := d.createNetworks(ctx); err != nil {
		return fail(err)
	}
	if err := d.createVolumes(ctx); err != nil {
		return fail(err)
	}
	if err := d.start(ctx, order); err != nil {
		return fail(err)
	}
	if err := d.rolesReady(ctx); err != nil {
		return fail(err)
	}
	return d, nil
}

func (d *Deployment) logf(format string, args ...any) {
	fmt.Fprintf(d.log, format+"\n", args...)
}

// labels are what everything of the run carries; the Compose labels let
// `docker compose -p <project> ps` show a running project.
func (d *Deployment) labels() map[string]string {
	return map[string]string{containers.LabelRun: d.RunID, "com.docker.compose.project": d.Project}
}

// images resolves each service's image — a pin of a replayed run, a local
// build, or the image the file names — and records its id. Images that
// must exist are checked before anything is built, so that a missing one
// fails at once.
func (d *Deployment) images(ctx context.Context, opts Options) error {
	names := d.p.ServiceNames()
	toBuild := map[string]bool{}
	for _, name := range names {
		s := d.services[name]
		if pin := opts.Pins[name]; pin != "" {
			id, err := containers.ImageID(ctx, d.cli, name, pin)
			var missing *containers.MissingImageError
			switch {
			case err == nil:
				s.image, d.digests[name] = pin, id
				continue
			case !errors.As(err, &missing):
				return err
			case s.cfg.Build == nil || !opts.Build:
				missing.Hint = "the replayed run ran it; load that image again"
				if s.cfg.Build != nil {
					missing.Hint += ", or give --build to build the service again"
				}
				return &ConfigError{missing}
			}
			d.logf("compose: image %.19s… that %s ran in the replayed run was built for that run and removed with it: building it again", pin, name)
			toBuild[name] = true
			continue
		}
		switch {
		case s.cfg.Build != nil && opts.Build:
			toBuild[name] = true
		case s.cfg.Image == "" && s.cfg.Build != nil:
			return configf("compose: service %s has only a build: section; give --build to build it here (nothing is pulled)", name)
		case s.cfg.Image == "":
			return configf("compose: service %s names no image", name)
		default:
			id, err := containers.ImageID(ctx, d.cli, name, s.cfg.Image)
			var missing *containers.MissingImageError
			if errors.As(err, &missing) {
				if s.cfg.Build != nil {
					missing.Hint = "give --build to build it from its build: section, or build or load it first"
				} else {
					missing.Hint = "build or load it first"
				}
				return &ConfigError{missing}
			}
			if err != nil {
				return err
			}
			s.image, d.digests[name] = s.cfg.Image, id
		}
	}
	for _, name := range names {
		if !toBuild[name] {
			continue
		}
		ref, err := d.build(ctx, d.services[name])
		if err != nil {
			return err
		}
		id, err := containers.ImageID(ctx, d.cli, name, ref)
		if err != nil {
			return err
		}
		d.services[name].image, d.digests[name] = ref, id
	}
	return nil
}

// build builds a service's image from its build: section, tagged for the
// run and labelled with it, so that Close removes it.
func (d *Deployment) build(ctx context.Context, s *service) (string, error) {
	b := s.cfg.Build
	labels := d.labels()
	for k, v := range b.Labels {
		labels[k] = v
	}
	repo := strings.ToLower(d.Project + "-" + s.name)
	d.logf("compose: building %s from %s", s.name, b.Context)
	out := &tailBuffer{max: 4 << 10}
	req := testcontainers.ContainerRequest{
		FromDockerfile: testcontainers.FromDockerfile{
			Context:        b.Context,
			Dockerfile:     b.Dockerfile,
			Repo:           repo,
			Tag:            "latest",
			BuildArgs:      map[string]*string(b.Args),
			BuildLogWriter: out,
			BuildOptionsModifier: func(o *client.ImageBuildOptions) {
				o.Labels = labels
				o.Target = b.Target
				o.NoCache = b.NoCache
			},
		},
		Labels: labels,
	}
	ref, err := d.provider.BuildImage(ctx, &req)
	if err != nil {
		return "", fmt.Errorf("build %s: %w; its output ended: %s", s.name, err, out.lastLines(5))
	}
	d.built = append(d.built, ref)
	return ref, nil
}

// createNetworks creates the project's networks that an active service
// joins, each named <project>_<key> and labelled with the run.
func (d *Deployment) createNetworks(ctx context.Context) error {
	keys := make([]string, 0, len(d.p.Networks))
	for k := range d.p.Networks {
		if d.p.networkUsed(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		n := d.p.Networks[k]
		labels := d.labels()
		for lk, lv := range n.Labels {
			labels[lk] = lv
		}
		labels["com.docker.compose.network"] = k
		name := d.Project + "_" + k // never a name the file chose: runs must not share
		if _, err := d.cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{
			Driver: "bridge", Internal: n.Internal, Options: n.DriverOpts, Labels: labels,
		}); err != nil {
			return fmt.Errorf("create network %s: %w", k, err)
		}
		d.networks = append(d.networks, name)
	}
	return nil
}

// createVolumes creates the project's named volumes that an active
// service mounts, named <project>_<key> and labelled with the run.
func (d *Deployment) createVolumes(ctx context.Context) error {
	keys := make([]string, 0, len(d.p.Volumes))
	for k := range d.p.Volumes {
		if d.p.volumeUsed(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := d.p.Volumes[k]
		labels := d.labels()
		for lk, lv := range v.Labels {
			labels[lk] = lv
		}
		labels["com.docker.compose.volume"] = k
		name := d.Project + "_" + k
		if _, err := d.cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: name, Driver: "local", DriverOpts: v.DriverOpts, Labels: labels}); err != nil {
			return fmt.Errorf("create volume %s: %w", k, err)
		}
		d.volumes = append(d.volumes, name)
	}
	return nil
}

// URL returns the base URL (http://host:port) at which the harness
// reaches role's service, or "" for an unknown role.
func (d *Deployment) URL(role string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.urls[role]
}

// Var returns a project variable: one of the env file, or a GPCHECK_*
// variable of the environment that the files name.
func (d *Deployment) Var(name string) (string, bool) {
	v, ok := d.p.vars[name]
	return v, ok
}

// Digests returns the id (sha256:…) of the image each service ran, by
// service: what a report records so that a replay runs the same images
// (Options.Pins).
func (d *Deployment) Digests() map[string]string {
	out := make(map[string]string, len(d.digests))
	for k, v := range d.digests {
		out[k] = v
	}
	return out
}

// Hashes returns the sha256 of every file the project was read from —
// the Compose files, the env file, the services' env_file files — by path
// as given.
func (d *Deployment) Hashes() map[string]string {
	out := make(map[string]string, len(d.p.hashes))
	for k, v := range d.p.hashes {
		out[k] = v
	}
	return out
}

// Roles returns each role's service and container port.
func (d *Deployment) Roles() map[string]Role {
	out := make(map[string]Role, len(d.p.roles))
	for k, v := range d.p.roles {
		out[k] = v
	}
	return out
}

// Secrets lists the values of the project's variables and of its
// services' environments whose names say they are secret (…_KEY,
// …_SECRET, …PASSWORD, …_TOKEN, …), for redacting logs and reports.
func (d *Deployment) Secrets() []string {
	seen := map[string]bool{}
	var out []string
	add := func(name, value string) {
		if value != "" && secretName(name) && !seen[value] {
			seen[value] = true
			out = append(out, value)
		}
	}
	for k, v := range d.p.vars {
		add(k, v)
	}
	for _, s := range d.p.Services {
		for k, v := range s.Environment {
			if v != nil {
				add(k, *v)
			}
		}
	}
	sort.Strings(out)
	return out
}

// secretName reports whether a variable's name says its value is a
// secret: one of its words (split at _ - .) is PASS, PWD, CREDENTIAL(S),
// PRIVATE, SALT or DSN, or ends in KEY(S), SECRET(S), TOKEN(S), PASSWORD
// or PASSWD (APIKEY, JWTSECRET).
func secretName(name string) bool {
	for _, w := range strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		switch w {
		case "PASS", "PWD", "CREDENTIAL", "CREDENTIALS", "PRIVATE", "SALT", "DSN":
			return true
		}
		w = strings.TrimSuffix(w, "S")
		for _, end := range []string{"KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD"} {
			if strings.HasSuffix(w, end) {
				return true
			}
		}
	}
	return false
}

// Logs writes each service's output to dir/<service>.log, creating dir.
// Call it before Close, which removes the containers.
func (d *Deployment) Logs(ctx context.Context, dir string) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("container logs: %w", err)
	}
	var errs []error
	for _, name := range sortedKeys(d.services) {
		s := d.services[name]
		if s.id == "" {
			continue
		}
		if err := d.writeLog(ctx, s, filepath.Join(dir, name+".log")); err != nil {
			errs = append(errs, fmt.Errorf("%s log: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// created reports whether any container of the run exists.
func (d *Deployment) created() bool {
	for _, s := range d.services {
		if s.id != "" {
			return true
		}
	}
	return false
}

// Close removes the run's containers (with their anonymous volumes), its
// networks, volumes and built images, then anything else labelled with the
// run. It succeeds when nothing of the run is left, so it is safe to call
// twice.
func (d *Deployment) Close(ctx context.Context) error {
	if d.cli == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, closeTimeout)
	defer cancel()
	var errs []error
	for _, name := range sortedKeys(d.services) {
		if s := d.services[name]; s.id != "" {
			if _, err := d.cli.ContainerRemove(ctx, s.id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !isNotFound(err) {
				errs = append(errs, fmt.Errorf("remove %s: %w", name, err))
			}
		}
	}
	for _, n := range d.networks {
		if _, err := d.cli.NetworkRemove(ctx, n, client.NetworkRemoveOptions{}); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("remove network %s: %w", n, err))
		}
	}
	for _, v := range d.volumes {
		if _, err := d.cli.VolumeRemove(ctx, v, client.VolumeRemoveOptions{Force: true}); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("remove volume %s: %w", v, err))
		}
	}
	for _, im := range d.built {
		if _, err := d.cli.ImageRemove(ctx, im, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("remove image %s: %w", im, err))
		}
	}
	// Whatever the steps above missed (a container created as Up was
	// interrupted) is found again by its label.
	if err := containers.RemoveRun(ctx, d.cli, d.RunID); err != nil {
		return errors.Join(append(errs, err)...)
	}
	_ = d.provider.Close()
	return nil
}

// baseURL is the harness's URL of a host port.
func (d *Deployment) baseURL(hostPort int) string {
	return "http://" + net.JoinHostPort(d.host, strconv.Itoa(hostPort))
}

// tailBuffer keeps the last max bytes written to it: a build's output,
// quoted when the build fails.
type tailBuffer struct {
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

// lastLines returns the last n non-blank lines, joined with " | ".
func (t *tailBuffer) lastLines(n int) string {
	var lines []string
	for _, l := range strings.Split(string(t.b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// logOnce logs a progress line the first time it is asked to.
func (d *Deployment) logOnce(line string) {
	d.mu.Lock()
	seen := d.logged[line]
	d.logged[line] = true
	d.mu.Unlock()
	if !seen {
		d.logf("%s", line)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
