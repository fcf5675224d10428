package containers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/gpcheck/gpcheck/fixtures/sut"
)

// The methods below disturb one service ("auth", "backend" or "ws") for
// the resilience specs. Each is bounded by ctx and by 90 s, and each returns
// once Docker has done it; Start and Connect also wait until the service
// answers its health check again at the same URL as before.

// Stop stops service's container (SIGTERM, then SIGKILL after 5 s). Its
// in-memory state (users, threads, tokens revoked) is lost.
func (t *Deployment) Stop(ctx context.Context, service string) error {
	s, err := t.service(service)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	d := stopTimeout
	if err := s.ctr.Stop(ctx, &d); err != nil {
		return fmt.Errorf("stop %s: %w", service, err)
	}
	return nil
}

// Start starts service's stopped container again and waits for its health
// check. It comes back on the same host port.
func (t *Deployment) Start(ctx context.Context, service string) error {
	s, err := t.service(service)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if err := s.ctr.Start(ctx); err != nil {
		return fmt.Errorf("start %s: %w", service, err)
	}
	return t.waitHealthy(ctx, s)
}

// Pause freezes service's processes: connections to it stay open but
// nothing answers, as with a hung service.
func (t *Deployment) Pause(ctx context.Context, service string) error {
	s, err := t.service(service)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := t.provider.Client().ContainerPause(ctx, s.ctr.GetContainerID(), client.ContainerPauseOptions{}); err != nil {
		return fmt.Errorf("pause %s: %w", service, err)
	}
	return nil
}

// Unpause resumes service after Pause.
func (t *Deployment) Unpause(ctx context.Context, service string) error {
	s, err := t.service(service)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := t.provider.Client().ContainerUnpause(ctx, s.ctr.GetContainerID(), client.ContainerUnpauseOptions{}); err != nil {
		return fmt.Errorf("unpause %s: %w", service, err)
	}
	return nil
}

// Disconnect cuts service off the run's network while it keeps running:
// the other services can no longer reach it by its alias, and — since its
// host port is published through that network — neither can the harness.
// Open connections to it break.
func (t *Deployment) Disconnect(ctx context.Context, service string) error {
	s, err := t.service(service)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := t.provider.Client().NetworkDisconnect(ctx, t.net.ID, client.NetworkDisconnectOptions{Container: s.ctr.GetContainerID(), Force: true}); err != nil {
		return fmt.Errorf("disconnect %s: %w", service, err)
	}
	return nil
}

// Connect puts service back on the run's network under its alias, after
// Disconnect, and waits for its health check through its host port.
func (t *Deployment) Connect(ctx context.Context, service string) error {
	s, err := t.service(service)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := t.provider.Client().NetworkConnect(ctx, t.net.ID, client.NetworkConnectOptions{
		Container:      s.ctr.GetContainerID(),
		EndpointConfig: &network.EndpointSettings{Aliases: []string{service}},
	}); err != nil {
		return fmt.Errorf("connect %s: %w", service, err)
	}
	return t.waitHealthy(ctx, s)
}

// service looks a service up by name.
func (t *Deployment) service(name string) (*service, error) {
	s := t.services[name]
	if s == nil || s.ctr == nil {
		return nil, fmt.Errorf("unknown service %q (want %s)", name, strings.Join(sut.Services(), ", "))
	}
	return s, nil
}

// waitHealthy polls s's /health until it answers 200, its container exits
// (an error quoting the end of its log) or ctx is done.
func (t *Deployment) waitHealthy(ctx context.Context, s *service) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for i := 0; ; i++ {
		if i%10 == 9 { // about once a second
			if st, err := s.ctr.State(ctx); err == nil && !st.Running && !st.Paused {
				return fmt.Errorf("%s exited with code %d: %s", s.name, st.ExitCode, logTail(ctx, s))
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/health", nil)
		if err != nil {
			return fmt.Errorf("%s health: %w", s.name, err)
		}
		resp, err := t.http.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not healthy at %s: %w (last: %v)", s.name, s.url, ctx.Err(), last)
		case <-tick.C:
		}
	}
}

// logTail returns the last lines of s's log, for errors.
func logTail(ctx context.Context, s *service) string {
	rc, err := s.ctr.Logs(ctx)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}
