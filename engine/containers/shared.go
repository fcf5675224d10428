package containers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// The Docker plumbing below is shared with the compose target
// (engine/compose), so that both find the engine, publish ports, label and
// sweep what a run made the same way.

// Connect connects to the Docker engine as testcontainers finds it, with
// its reaper disabled, logging to log (nil: nowhere). Close the provider
// when done.
func Connect(ctx context.Context, log io.Writer) (*testcontainers.DockerProvider, error) {
	return newProvider(ctx, newLogger(log))
}

// RemoveRun removes every container, network, volume and image labelled
// with run, and fails when any is left: the last step of a run's Close,
// which also finds what the earlier steps lost track of.
func RemoveRun(ctx context.Context, cli client.APIClient, run string) error {
	label := LabelRun + "=" + run
	var errs []error
	if _, err := removeLabelled(ctx, cli, label); err != nil {
		errs = append(errs, err)
	}
	left, err := countLabelled(ctx, cli, label)
	switch {
	case err != nil:
		errs = append(errs, err)
	case left > 0:
		errs = append(errs, fmt.Errorf("%d container(s), network(s), volume(s) or image(s) of run %s are left", left, run))
	}
	return errors.Join(errs...)
}

// PublishAddress says where ports the engine publishes are reached (host)
// and on which host address to publish them (bindIP, "" for all): on
// loopback when the engine runs in our network namespace — the gateway of
// network networkID is then one of our addresses, on a plain Linux host
// and when gpcheck runs in a container beside its own engine — and
// otherwise on all the engine's interfaces, reached at the address
// testcontainers finds for it.
func PublishAddress(ctx context.Context, p *testcontainers.DockerProvider, networkID string) (host, bindIP string, err error) {
	local, err := engineIsLocal(ctx, p.Client(), networkID)
	if err != nil {
		return "", "", err
	}
	if local {
		return "127.0.0.1", "127.0.0.1", nil
	}
	host, err = p.DaemonHost(ctx)
	if err != nil {
		return "", "", fmt.Errorf("find the Docker host: %w", err)
	}
	return host, "", nil
}

// engineIsLocal reports whether the gateway of network networkID is an
// address of one of our interfaces.
func engineIsLocal(ctx context.Context, cli client.APIClient, networkID string) (bool, error) {
	res, err := cli.NetworkInspect(ctx, networkID, client.NetworkInspectOptions{})
	if err != nil {
		return false, fmt.Errorf("inspect network: %w", err)
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false, nil
	}
	for _, c := range res.Network.IPAM.Config {
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && c.Gateway.IsValid() && p.Addr() == c.Gateway.Unmap() {
				return true, nil
			}
		}
	}
	return false, nil
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) { return freePort() }

// PortTaken reports whether err is Docker failing to bind a host port,
// which a retry on another port mends.
func PortTaken(err error) bool { return portTaken(err) }

// MissingImageError is an image that is not on the Docker host. Nothing is
// ever pulled, so it is a setup mistake: build or load the image first.
type MissingImageError struct {
	// Service is the service that was to run it; Ref is the image as named
	// (a reference or an image id).
	Service, Ref string
	// Hint, when set, says what would bring the image.
	Hint string
}

func (e *MissingImageError) Error() string {
	hint := e.Hint
	if hint == "" {
		hint = "build or load it first, e.g. make images"
	}
	return fmt.Sprintf("image %s of service %s is not on the Docker host (nothing is pulled: %s)", e.Ref, e.Service, hint)
}

// ImageID returns the id (sha256:…) of the local image ref, the digest a
// report records; an image that is not there is a *MissingImageError for
// service.
func ImageID(ctx context.Context, cli client.APIClient, service, ref string) (string, error) {
	res, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return "", &MissingImageError{Service: service, Ref: ref}
		}
		return "", fmt.Errorf("inspect image %s of %s: %w", ref, service, err)
	}
	return res.ID, nil
}
