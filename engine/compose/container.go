package compose

import (
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/gpcheck/gpcheck/engine/containers"
)

// containerName is a service's container, named as docker compose names
// it, under the run's own project.
func (d *Deployment) containerName(service string) string {
	return d.Project + "-" + service + "-1"
}

// createOptions turns a Compose service into the Docker API's create
// request — with the role ports published on hostPorts (container port →
// host port) and nothing else published — and the further networks to
// join before it starts (the engine takes one network at creation).
func (d *Deployment) createOptions(s *service, hostPorts map[int]int) (client.ContainerCreateOptions, []endpoint, error) {
	cfg := s.cfg
	labels := d.labels()
	for k, v := range cfg.Labels {
		labels[k] = v
	}
	labels[labelService] = s.name
	labels["com.docker.compose.service"] = s.name
	labels["com.docker.compose.container-number"] = "1"

	c := &container.Config{
		Image:        s.image,
		Hostname:     cfg.Hostname,
		Domainname:   cfg.DomainName,
		User:         cfg.User,
		WorkingDir:   cfg.WorkingDir,
		Tty:          cfg.Tty,
		OpenStdin:    cfg.StdinOpen,
		StopSignal:   cfg.StopSignal,
		Labels:       labels,
		Env:          environ(cfg.Environment),
		ExposedPorts: network.PortSet{},
	}
	if cfg.Command != nil {
		c.Cmd = []string(cfg.Command)
	}
	if cfg.Entrypoint != nil {
		c.Entrypoint = []string(cfg.Entrypoint)
	}
	if cfg.StopGracePeriod != nil {
		secs := int(time.Duration(*cfg.StopGracePeriod).Round(time.Second) / time.Second)
		c.StopTimeout = &secs
	}
	if hc := cfg.HealthCheck; hc != nil {
		h := &container.HealthConfig{Test: []string(hc.Test)}
		if hc.Disable {
			h.Test = []string{"NONE"}
		}
		if hc.Interval != nil {
			h.Interval = time.Duration(*hc.Interval)
		}
		if hc.Timeout != nil {
			h.Timeout = time.Duration(*hc.Timeout)
		}
		if hc.StartPeriod != nil {
			h.StartPeriod = time.Duration(*hc.StartPeriod)
		}
		if hc.Retries != nil {
			h.Retries = int(*hc.Retries)
		}
		c.Healthcheck = h
	}

	h := &container.HostConfig{
		PortBindings:   network.PortMap{},
		CapAdd:         cfg.CapAdd,
		CapDrop:        cfg.CapDrop,
		Privileged:     cfg.Privileged,
		ReadonlyRootfs: cfg.ReadOnly,
		SecurityOpt:    cfg.SecurityOpt,
		Sysctls:        map[string]string(cfg.Sysctls),
		ShmSize:        int64(cfg.ShmSize),
		ExtraHosts:     cfg.ExtraHosts.AsList(":"),
		GroupAdd:       cfg.GroupAdd,
		Init:           cfg.Init,
		Tmpfs:          map[string]string{},
	}
	h.Memory = int64(cfg.MemLimit)
	h.NanoCPUs = int64(float64(cfg.CPUS) * 1e9)
	if cfg.PidsLimit != 0 {
		n := cfg.PidsLimit
		h.PidsLimit = &n
	}
	for _, name := range sortedKeys(cfg.Ulimits) {
		u := cfg.Ulimits[name]
		soft, hard := int64(u.Soft), int64(u.Hard)
		if u.Single != 0 {
			soft, hard = int64(u.Single), int64(u.Single)
		}
		h.Ulimits = append(h.Ulimits, &container.Ulimit{Name: name, Soft: soft, Hard: hard})
	}
	rp, err := restartPolicy(cfg.Restart)
	if err != nil {
		return client.ContainerCreateOptions{}, nil, configf("compose: service %s: %v", s.name, err)
	}
	h.RestartPolicy = rp
	for _, t := range cfg.Tmpfs {
		path, opts, _ := strings.Cut(t, ":")
		h.Tmpfs[path] = opts
	}
	for _, p := range declaredPorts(cfg) {
		c.ExposedPorts[tcpPort(p)] = struct{}{}
	}
	for cport, hport := range hostPorts {
		b := network.PortBinding{HostPort: strconv.Itoa(hport)}
		if d.bindIP != "" {
			b.HostIP = netip.MustParseAddr(d.bindIP)
		}
		c.ExposedPorts[tcpPort(cport)] = struct{}{}
		h.PortBindings[tcpPort(cport)] = []network.PortBinding{b}
	}
	for _, v := range cfg.Volumes {
		switch v.Type {
		case types.VolumeTypeBind:
			// The Binds form, as docker compose uses for a short-syntax bind:
			// a missing host directory is created rather than refused.
			bind := v.Source + ":" + v.Target
			var opts []string
			if v.ReadOnly {
				opts = append(opts, "ro")
			}
			if v.Bind != nil && v.Bind.Propagation != "" {
				opts = append(opts, v.Bind.Propagation)
			}
			if len(opts) > 0 {
				bind += ":" + strings.Join(opts, ",")
			}
			h.Binds = append(h.Binds, bind)
		case types.VolumeTypeVolume:
			m := mount.Mount{Type: mount.TypeVolume, Target: v.Target, ReadOnly: v.ReadOnly}
			if v.Source != "" {
				m.Source = d.Project + "_" + v.Source
			}
			if v.Volume != nil && v.Volume.NoCopy {
				m.VolumeOptions = &mount.VolumeOptions{NoCopy: true}
			}
			if v.Source == "" {
				// An anonymous volume: Close removes it with the container.
				m.VolumeOptions = &mount.VolumeOptions{Labels: map[string]string{containers.LabelRun: d.RunID}}
			}
			h.Mounts = append(h.Mounts, m)
		case types.VolumeTypeTmpfs:
			m := mount.Mount{Type: mount.TypeTmpfs, Target: v.Target}
			if v.Tmpfs != nil {
				m.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: int64(v.Tmpfs.Size), Mode: os.FileMode(v.Tmpfs.Mode)}
			}
			h.Mounts = append(h.Mounts, m)
		}
	}

	var eps []endpoint
	for _, key := range cfg.NetworksByPriority() {
		nc := cfg.Networks[key]
		ep := endpoint{network: d.Project + "_" + key}
		if nc == nil || nc.UseServiceNameAlias == nil || *nc.UseServiceNameAlias {
			ep.aliases = append(ep.aliases, s.name)
		}
		if nc != nil {
			ep.aliases = append(ep.aliases, nc.Aliases...)
		}
		for _, l := range cfg.Links {
			target, alias, ok := strings.Cut(l, ":")
			if !ok {
				alias = target
			}
			ep.links = append(ep.links, d.containerName(target)+":"+alias)
		}
		eps = append(eps, ep)
	}
	opts := client.ContainerCreateOptions{Name: d.containerName(s.name), Config: c, HostConfig: h}
	if len(eps) > 0 {
		opts.NetworkingConfig = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
			eps[0].network: eps[0].settings(),
		}}
		h.NetworkMode = container.NetworkMode(eps[0].network)
	}
	return opts, eps, nil
}

// settings is the endpoint as the Docker API takes it.
func (e endpoint) settings() *network.EndpointSettings {
	return &network.EndpointSettings{Aliases: e.aliases, Links: e.links}
}

// environ turns a resolved environment into KEY=value lines, sorted;
// a variable without a value is left unset, as in docker compose.
func environ(m types.MappingWithEquals) []string {
	var out []string
	for k, v := range m {
		if v != nil {
			out = append(out, k+"="+*v)
		}
	}
	sort.Strings(out)
	return out
}

func tcpPort(p int) network.Port {
	port, _ := network.PortFrom(uint16(p), network.TCP)
	return port
}

// restartPolicy reads a Compose restart value: no, always,
// unless-stopped, on-failure[:N].
func restartPolicy(s string) (container.RestartPolicy, error) {
	name, n, hasN := strings.Cut(s, ":")
	switch name {
	case "", "no":
		return container.RestartPolicy{Name: container.RestartPolicyDisabled}, nil
	case "always":
		return container.RestartPolicy{Name: container.RestartPolicyAlways}, nil
	case "unless-stopped":
		return container.RestartPolicy{Name: container.RestartPolicyUnlessStopped}, nil
	case "on-failure":
		rp := container.RestartPolicy{Name: container.RestartPolicyOnFailure}
		if hasN {
			count, err := strconv.Atoi(n)
			if err != nil || count < 0 {
				return rp, fmt.Errorf("restart %q: the retry count is not a number", s)
			}
			rp.MaximumRetryCount = count
		}
		return rp, nil
	}
	return container.RestartPolicy{}, fmt.Errorf("unknown restart policy %q (want no, always, unless-stopped or on-failure[:N])", s)
}
