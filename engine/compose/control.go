package compose

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/moby/client"
)

// The methods below disturb the service that plays a role ("auth",
// "backend" or "ws") for the resilience specs, as the containers target's
// do: each is bounded by ctx and by 90 s and returns once Docker has done
// it; Start and Connect also wait until the service is ready again
// (healthy, when it has a healthcheck, and answering HTTP) at the same
// URL as before. When one service plays several roles, disturbing one
// role disturbs them all.

// Stop stops the role's container (its stop signal, then SIGKILL after
// 5 s). What it held in memory is lost; its volumes stay.
func (d *Deployment) Stop(ctx context.Context, role string) error {
	return d.onRole(ctx, role, "stop", func(ctx context.Context, s *service) error {
		t := stopTimeout
		_, err := d.cli.ContainerStop(ctx, s.id, client.ContainerStopOptions{Timeout: &t})
		return err
	})
}

// Start starts the role's stopped container again and waits until it is
// ready; it comes back on the same host port.
func (d *Deployment) Start(ctx context.Context, role string) error {
	s, err := d.roleService(role)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := d.cli.ContainerStart(ctx, s.id, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("start %s (%s): %w", role, s.name, err)
	}
	return d.ready(ctx, s)
}

// Pause freezes the role's processes: connections to it stay open but
// nothing answers, as with a hung service.
func (d *Deployment) Pause(ctx context.Context, role string) error {
	return d.onRole(ctx, role, "pause", func(ctx context.Context, s *service) error {
		_, err := d.cli.ContainerPause(ctx, s.id, client.ContainerPauseOptions{})
		return err
	})
}

// Unpause resumes the role's service after Pause.
func (d *Deployment) Unpause(ctx context.Context, role string) error {
	return d.onRole(ctx, role, "unpause", func(ctx context.Context, s *service) error {
		_, err := d.cli.ContainerUnpause(ctx, s.id, client.ContainerUnpauseOptions{})
		return err
	})
}

// onRole runs op on the role's service within opTimeout; its error says
// what was done to which service.
func (d *Deployment) onRole(ctx context.Context, role, verb string, op func(context.Context, *service) error) error {
	s, err := d.roleService(role)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if err := op(ctx, s); err != nil {
		return fmt.Errorf("%s %s (%s): %w", verb, role, s.name, err)
	}
	return nil
}

// Disconnect cuts the role's service off every network of the project
// while it keeps running: the other services can no longer reach it, and
// — its host port being published through those networks — neither can
// the harness. Open connections to it break.
func (d *Deployment) Disconnect(ctx context.Context, role string) error {
	s, err := d.roleService(role)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	for _, ep := range s.network {
		if _, err := d.cli.NetworkDisconnect(ctx, ep.network, client.NetworkDisconnectOptions{Container: s.id, Force: true}); err != nil {
			errs = append(errs, fmt.Errorf("disconnect %s (%s) from %s: %w", role, s.name, ep.network, err))
			continue
		}
		d.cuts[s.name] = append(d.cuts[s.name], ep)
	}
	return errors.Join(errs...)
}

// Connect puts the role's service back on the networks Disconnect took it
// off, with its aliases, and waits until it is ready.
func (d *Deployment) Connect(ctx context.Context, role string) error {
	s, err := d.roleService(role)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	d.mu.Lock()
	cut := d.cuts[s.name]
	delete(d.cuts, s.name)
	d.mu.Unlock()
	for _, ep := range cut {
		if _, err := d.cli.NetworkConnect(ctx, ep.network, client.NetworkConnectOptions{Container: s.id, EndpointConfig: ep.settings()}); err != nil {
			return fmt.Errorf("connect %s (%s) to %s: %w", role, s.name, ep.network, err)
		}
	}
	return d.ready(ctx, s)
}

// roleService looks the service of a role up.
func (d *Deployment) roleService(role string) (*service, error) {
	r, ok := d.p.roles[role]
	if !ok {
		return nil, fmt.Errorf("unknown role %q (want %s)", role, strings.Join(roleNames, ", "))
	}
	s := d.services[r.Service]
	if s == nil || s.id == "" {
		return nil, fmt.Errorf("role %s: service %s has no container", role, r.Service)
	}
	return s, nil
}
