package containers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// availableTimeout bounds Available when ctx has no earlier deadline.
const availableTimeout = 10 * time.Second

// Available reports whether a Docker engine answers, as testcontainers
// finds it (DOCKER_HOST, the Docker context, ~/.testcontainers.properties).
// Tests use it to skip with a plain message where there is no Docker.
func Available(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, availableTimeout)
	defer cancel()
	p, err := newProvider(ctx, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	if _, err := p.Client().Ping(ctx, client.PingOptions{}); err != nil {
		return fmt.Errorf("ping Docker: %w", err)
	}
	return nil
}

// Clean removes every container, network, volume and image labelled
// gpcheck.run, whatever run made it (containers or compose target): what
// `gpcheck clean` does after runs that could not clean up (killed, or a
// crashed host). It returns how many it removed.
// Images built by `make images` carry another label and are kept.
func Clean(ctx context.Context) (removed int, err error) {
	ctx, cancel := context.WithTimeout(ctx, closeTimeout)
	defer cancel()
	p, err := newProvider(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer p.Close()
	return removeLabelled(ctx, p.Client(), LabelRun)
}

// newProvider connects to Docker with the reaper disabled, logging to
// logger (nil: nowhere). The library's constructor takes no context, so it
// runs aside and ctx bounds the wait.
func newProvider(ctx context.Context, logger tclog.Logger) (*testcontainers.DockerProvider, error) {
	if logger == nil {
		logger = tclog.NewNoopLogger()
	}
	if err := reaperChosen(); err != nil {
		return nil, err
	}
	type result struct {
		p   *testcontainers.DockerProvider
		err error
	}
	ch := make(chan result, 1)
	go func() {
		p, err := testcontainers.NewDockerProvider(testcontainers.WithLogger(logger))
		ch <- result{p, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("connect to Docker: %w", r.err)
		}
		return r.p, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("connect to Docker: %w", ctx.Err())
	}
}

// removeLabelled removes the containers, then the networks, the volumes and
// the images matching the label filter (key or key=value), and counts them.
func removeLabelled(ctx context.Context, cli client.APIClient, label string) (int, error) {
	f := make(client.Filters).Add("label", label)
	removed := 0
	var errs []error

	ctrs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return removed, fmt.Errorf("list containers: %w", err)
	}
	for _, c := range ctrs.Items {
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			errs = append(errs, fmt.Errorf("remove container %.12s: %w", c.ID, err))
			continue
		}
		removed++
	}

	nets, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return removed, errors.Join(append(errs, fmt.Errorf("list networks: %w", err))...)
	}
	for _, n := range nets.Items {
		if _, err := cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
			continue
		}
		removed++
	}

	// Named volumes (a Compose project's database, say) go once no
	// container holds them.
	vols, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		return removed, errors.Join(append(errs, fmt.Errorf("list volumes: %w", err))...)
	}
	for _, v := range vols.Items {
		if _, err := cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true}); err != nil {
			errs = append(errs, fmt.Errorf("remove volume %s: %w", v.Name, err))
			continue
		}
		removed++
	}

	imgs, err := cli.ImageList(ctx, client.ImageListOptions{Filters: f})
	if err != nil {
		return removed, errors.Join(append(errs, fmt.Errorf("list images: %w", err))...)
	}
	for _, im := range imgs.Items {
		if _, err := cli.ImageRemove(ctx, im.ID, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil {
			errs = append(errs, fmt.Errorf("remove image %.19s: %w", im.ID, err))
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}

// countLabelled counts the containers, networks, volumes and images
// matching label.
func countLabelled(ctx context.Context, cli client.APIClient, label string) (int, error) {
	f := make(client.Filters).Add("label", label)
	ctrs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return 0, fmt.Errorf("list containers: %w", err)
	}
	nets, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return 0, fmt.Errorf("list networks: %w", err)
	}
	vols, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		return 0, fmt.Errorf("list volumes: %w", err)
	}
	imgs, err := cli.ImageList(ctx, client.ImageListOptions{Filters: f})
	if err != nil {
		return 0, fmt.Errorf("list images: %w", err)
	}
	return len(ctrs.Items) + len(nets.Items) + len(vols.Items) + len(imgs.Items), nil
}
