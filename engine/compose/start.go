package compose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/gpcheck/gpcheck/engine/containers"
)

// start creates and starts every service, each as soon as its
// dependencies meet their depends_on conditions, independent services at
// once. The role ports are published on host ports chosen here, so that
// the harness's URLs survive a restart or a reconnect (Docker would give
// an ephemeral port anew).
func (d *Deployment) start(ctx context.Context, order []string) error {
	if len(d.networks) == 0 {
		return configf("compose: no service joins a network, so none can be reached")
	}
	var err error
	if d.host, d.bindIP, err = containers.PublishAddress(ctx, d.provider, d.networks[0]); err != nil {
		return err
	}
	rolePorts := map[string][]int{} // service → container ports of its roles
	for _, role := range roleNames {
		r := d.p.roles[role]
		if !slices.Contains(rolePorts[r.Service], r.Port) {
			rolePorts[r.Service] = append(rolePorts[r.Service], r.Port)
		}
	}

	type state struct {
		done chan struct{} // closed once started, or failed
		err  error
	}
	states := map[string]*state{}
	for _, name := range order {
		states[name] = &state{done: make(chan struct{})}
	}
	var wg sync.WaitGroup
	for _, name := range order {
		s, st := d.services[name], states[name]
		wg.Go(func() {
			defer close(st.done)
			for _, dep := range sortedKeys(s.cfg.DependsOn) {
				ds, active := states[dep]
				if !active {
					continue // an optional dependency not in the project
				}
				select {
				case <-ds.done:
				case <-ctx.Done():
					st.err = fmt.Errorf("%s: waiting for %s: %w", name, dep, ctx.Err())
					return
				}
				if ds.err != nil {
					st.err = &dependencyFailed{name, dep}
					return
				}
				if err := d.waitCondition(ctx, name, d.services[dep], s.cfg.DependsOn[dep].Condition); err != nil {
					st.err = err
					return
				}
			}
			if err := d.startService(ctx, s, rolePorts[name]); err != nil {
				st.err = err
				return
			}
			d.logf("compose: %s started", name)
		})
	}
	wg.Wait()
	// Report the failures themselves, not what they left unstarted.
	var errs []error
	for _, name := range order {
		var dep *dependencyFailed
		if err := states[name].err; err != nil && !errors.As(err, &dep) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// dependencyFailed is a service left unstarted because a dependency
// failed; the dependency's own error says why.
type dependencyFailed struct{ service, dep string }

func (e *dependencyFailed) Error() string {
	return fmt.Sprintf("%s not started: its dependency %s failed", e.service, e.dep)
}

// startService creates, connects and starts one service's container. A
// host port taken between choosing and binding it is chosen again.
func (d *Deployment) startService(ctx context.Context, s *service, rolePorts []int) error {
	const attempts = 3
	var lastErr error
	for range attempts {
		hostPorts := map[int]int{}
		for _, p := range rolePorts {
			hp, err := containers.FreePort()
			if err != nil {
				return fmt.Errorf("%s: choose a host port: %w", s.name, err)
			}
			hostPorts[p] = hp
		}
		opts, eps, err := d.createOptions(s, hostPorts)
		if err != nil {
			return err
		}
		res, err := d.cli.ContainerCreate(ctx, opts)
		if err != nil {
			return fmt.Errorf("create %s: %w", s.name, err)
		}
		s.id, s.network = res.ID, eps
		for _, ep := range eps[1:] {
			if _, err := d.cli.NetworkConnect(ctx, ep.network, client.NetworkConnectOptions{Container: s.id, EndpointConfig: ep.settings()}); err != nil {
				return fmt.Errorf("connect %s to %s: %w", s.name, ep.network, err)
			}
		}
		_, err = d.cli.ContainerStart(ctx, s.id, client.ContainerStartOptions{})
		if err == nil {
			d.mu.Lock()
			for role, r := range d.p.roles {
				if r.Service == s.name {
					d.urls[role] = d.baseURL(hostPorts[r.Port])
				}
			}
			d.mu.Unlock()
			return nil
		}
		lastErr = fmt.Errorf("start %s: %w", s.name, err)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opTimeout)
		_, _ = d.cli.ContainerRemove(rctx, s.id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		cancel()
		s.id = ""
		if !containers.PortTaken(err) || ctx.Err() != nil {
			break
		}
	}
	return lastErr
}

// waitCondition waits until dep meets a depends_on condition of name's.
func (d *Deployment) waitCondition(ctx context.Context, name string, dep *service, condition string) error {
	switch condition {
	case types.ServiceConditionHealthy:
		if err := d.waitHealthy(ctx, dep); err != nil {
			return fmt.Errorf("%s waits for %s to be healthy: %w", name, dep.name, err)
		}
		d.logOnce(fmt.Sprintf("compose: %s healthy", dep.name))
	case types.ServiceConditionCompletedSuccessfully:
		if err := d.waitCompleted(ctx, dep); err != nil {
			return fmt.Errorf("%s waits for %s to complete: %w", name, dep.name, err)
		}
		d.logOnce(fmt.Sprintf("compose: %s completed", dep.name))
	}
	return nil
}

// waitHealthy polls s's health until Docker reports it healthy. A
// container that exits, turns unhealthy or has no healthcheck at all ends
// the wait with an error saying so.
func (d *Deployment) waitHealthy(ctx context.Context, s *service) error {
	return d.poll(ctx, s, func(st *container.State) (bool, error) {
		switch {
		case st.Health == nil:
			return false, configf("%s has no healthcheck (service_healthy needs one, in the file or the image)", s.name)
		case st.Health.Status == container.Healthy:
			return true, nil
		case st.Health.Status == container.Unhealthy:
			return false, fmt.Errorf("%s is unhealthy: %s; log: %s", s.name, lastProbe(st.Health), d.logTail(ctx, s))
		case !st.Running && !st.Restarting:
			return false, fmt.Errorf("%s exited with code %d before it was healthy: %s", s.name, st.ExitCode, d.logTail(ctx, s))
		}
		return false, nil
	})
}

// waitCompleted polls s until it has exited with code 0, as a migration
// job does; any other exit code is an error quoting its log.
func (d *Deployment) waitCompleted(ctx context.Context, s *service) error {
	return d.poll(ctx, s, func(st *container.State) (bool, error) {
		if st.Running || st.Restarting || st.Status == container.StateCreated {
			return false, nil
		}
		if st.ExitCode != 0 {
			return false, fmt.Errorf("%s exited with code %d: %s", s.name, st.ExitCode, d.logTail(ctx, s))
		}
		return true, nil
	})
}

// poll inspects s's container every 250 ms until done says so, or errs,
// or ctx ends.
func (d *Deployment) poll(ctx context.Context, s *service, done func(*container.State) (bool, error)) error {
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		res, err := d.cli.ContainerInspect(ctx, s.id, client.ContainerInspectOptions{})
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: %w", s.name, ctx.Err())
			}
			return fmt.Errorf("inspect %s: %w", s.name, err)
		}
		if res.Container.State != nil {
			ok, err := done(res.Container.State)
			if err != nil || ok {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", s.name, ctx.Err())
		case <-tick.C:
		}
	}
}

// lastProbe is the output of a container's last health probe, trimmed.
func lastProbe(h *container.Health) string {
	if h == nil || len(h.Log) == 0 {
		return "no probe output"
	}
	out := strings.TrimSpace(h.Log[len(h.Log)-1].Output)
	if len(out) > 200 {
		out = out[:200] + "…"
	}
	return fmt.Sprintf("last probe exit %d %q", h.Log[len(h.Log)-1].ExitCode, out)
}

// rolesReady waits, for each role, until its service is healthy (when
// its container has a healthcheck) and its URL answers HTTP at all (any
// status: what the answers mean is for the harness to judge).
func (d *Deployment) rolesReady(ctx context.Context) error {
	var names []string
	for _, role := range roleNames {
		if n := d.p.roles[role].Service; !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, name := range names {
		if err := d.ready(ctx, d.services[name]); err != nil {
			return err
		}
		d.logf("compose: %s ready", name)
	}
	return nil
}

// ready waits until service s serves its roles: healthy when it has a
// healthcheck, and answering HTTP at each role's URL.
func (d *Deployment) ready(ctx context.Context, s *service) error {
	res, err := d.cli.ContainerInspect(ctx, s.id, client.ContainerInspectOptions{})
	if err != nil {
		return fmt.Errorf("inspect %s: %w", s.name, err)
	}
	if st := res.Container.State; st != nil && st.Health != nil {
		if err := d.waitHealthy(ctx, s); err != nil {
			return err
		}
	}
	for _, role := range roleNames {
		if d.p.roles[role].Service != s.name {
			continue
		}
		url := d.URL(role)
		var last error
		err := d.poll(ctx, s, func(st *container.State) (bool, error) {
			if !st.Running && !st.Restarting {
				return false, fmt.Errorf("%s (role %s) exited with code %d: %s", s.name, role, st.ExitCode, d.logTail(ctx, s))
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/", nil)
			if err != nil {
				return false, err
			}
			resp, err := d.http.Do(req)
			if err != nil {
				last = err
				return false, nil
			}
			resp.Body.Close()
			return true, nil
		})
		if err != nil {
			if last != nil && ctx.Err() != nil {
				err = fmt.Errorf("%w (last: %v)", err, last)
			}
			return fmt.Errorf("role %s: %s does not answer on container port %d: %w", role, s.name, d.p.roles[role].Port, err)
		}
	}
	return nil
}

// logTail returns the last lines of s's log, on one line, for errors.
func (d *Deployment) logTail(ctx context.Context, s *service) string {
	rc, err := d.cli.ContainerLogs(ctx, s.id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: "5"})
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer rc.Close()
	var out strings.Builder
	if s.cfg.Tty {
		_, _ = io.Copy(&out, io.LimitReader(rc, 1<<20))
	} else {
		_, _ = stdcopy.StdCopy(&out, &out, io.LimitReader(rc, 1<<20))
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}

// writeLog writes s's whole log (stdout and stderr) to path.
func (d *Deployment) writeLog(ctx context.Context, s *service, path string) error {
	rc, err := d.cli.ContainerLogs(ctx, s.id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if s.cfg.Tty {
		_, err = io.Copy(f, rc)
	} else {
		_, err = stdcopy.StdCopy(f, f, rc)
	}
	if err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func isNotFound(err error) bool { return cerrdefs.IsNotFound(err) }
