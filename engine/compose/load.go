package compose

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/schema"
	"github.com/compose-spec/compose-go/v2/tree"
	"github.com/compose-spec/compose-go/v2/types"
)

// ConfigError is a mistake in what the run was given rather than a
// failure of the system: a Compose file that does not load, an attribute
// gpcheck does not honour, a role naming no service, an image that is not
// on the Docker host. The engine makes it a setup error (exit 2).
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

func configf(format string, args ...any) error { return &ConfigError{fmt.Errorf(format, args...)} }

// gpcheckVar matches the GPCHECK_* variables a Compose file names: the
// only variables of gpcheck's own environment that reach the project, so
// that a run depends on its files and on nothing else of the shell.
var gpcheckVar = regexp.MustCompile(`GPCHECK_[A-Za-z0-9_]+`)

// project is a Compose project loaded, checked and ready to start.
type project struct {
	*types.Project
	// vars are the project's variables: the env file's, overridden by the
	// GPCHECK_* variables of the environment that the files name.
	vars map[string]string
	// hashes are the sha256 of every file read, by path as given.
	hashes map[string]string
	// roles are the resolved roles: a service and a container port each.
	roles map[string]Role
	// ignored lists attributes that were left out, for a progress line.
	ignored []string
}

// load reads the Compose files and the env file, interpolates, merges and
// checks the project (every attribute must be one gpcheck honours or
// knowingly ignores), and resolves the roles. Every error is a
// *ConfigError.
func load(ctx context.Context, opts Options, name string) (*project, error) {
	if len(opts.Files) == 0 {
		return nil, configf("no Compose file (give --compose-file)")
	}
	p := &project{hashes: map[string]string{}}
	var configs []types.ConfigFile
	var scanned []byte
	for _, f := range opts.Files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, configf("--compose-file: %v", err)
		}
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, configf("--compose-file: %v", err)
		}
		configs = append(configs, types.ConfigFile{Filename: abs, Content: b})
		p.hashes[f] = hashOf(b)
		scanned = append(scanned, b...)
	}
	dir := filepath.Dir(configs[0].Filename)

	envFile := opts.EnvFile
	if envFile == "" {
		// As docker compose does: the .env beside the first file, if any.
		if st, err := os.Stat(filepath.Join(dir, ".env")); err == nil && st.Mode().IsRegular() {
			envFile = filepath.Join(dir, ".env")
		}
	}
	if envFile != "" {
		b, err := os.ReadFile(envFile)
		if err != nil {
			return nil, configf("--env-file: %v", err)
		}
		p.hashes[envFile] = hashOf(b)
		scanned = append(scanned, b...)
	}
	p.vars = variables(scanned, opts.Getenv)
	if envFile != "" {
		fileVars, err := dotenv.GetEnvFromFile(p.vars, []string{envFile})
		if err != nil {
			return nil, configf("--env-file %s: %v", envFile, err)
		}
		// The environment wins over the file, as in docker compose.
		for k, v := range fileVars {
			if _, set := p.vars[k]; !set {
				p.vars[k] = v
			}
		}
	}

	var findings []loader.UnsupportedAttribute
	loadProject := func() (*types.Project, error) {
		loaded, err := loader.LoadWithContext(ctx, types.ConfigDetails{WorkingDir: dir, ConfigFiles: configs, Environment: types.Mapping(p.vars)},
			func(o *loader.Options) {
				o.SetProjectName(name, true)
				o.Profiles = opts.Profiles
			},
			loader.WithSupportedAttributes(supportedAttributes(), func(f []loader.UnsupportedAttribute) { findings = f }))
		if err != nil {
			return nil, configf("compose: %v", firstError(err))
		}
		return loaded, nil
	}
	loaded, err := loadProject()
	if err != nil {
		return nil, err
	}
	// The services' own env_file files are part of the project too: they
	// are hashed, and the GPCHECK_* variables they name reach the project
	// (which takes a second load, as they are known only now).
	var more []byte
	for _, s := range loaded.Services {
		for _, ef := range s.EnvFiles {
			b, err := os.ReadFile(ef.Path)
			if err != nil {
				continue // an optional file that is absent; the loader has judged
			}
			key := ef.Path
			if rel, err := filepath.Rel(dir, ef.Path); err == nil && !strings.HasPrefix(rel, "..") {
				key = filepath.Join(filepath.Dir(opts.Files[0]), rel)
			}
			p.hashes[key] = hashOf(b)
			more = append(more, b...)
		}
	}
	added := false
	for k, v := range variables(more, opts.Getenv) {
		if _, set := p.vars[k]; !set {
			p.vars[k], added = v, true
		}
	}
	if added {
		if loaded, err = loadProject(); err != nil {
			return nil, err
		}
	}
	p.Project = loaded
	if err := p.screen(findings); err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	if p.roles, err = resolveRoles(p.Project, opts.Roles); err != nil {
		return nil, err
	}
	return p, nil
}

// firstError shortens a joined error to its first part and how many
// more there are, so that it stays one readable line.
func firstError(err error) string {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok || len(j.Unwrap()) < 2 {
		return err.Error()
	}
	errs := j.Unwrap()
	return fmt.Sprintf("%v (and %d more)", errs[0], len(errs)-1)
}

// variables takes from getenv the GPCHECK_* variables named in text.
func variables(text []byte, getenv func(string) string) map[string]string {
	vars := map[string]string{}
	if getenv == nil {
		return vars
	}
	for _, m := range gpcheckVar.FindAll(text, -1) {
		if v := getenv(string(m)); v != "" {
			vars[string(m)] = v
		}
	}
	return vars
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// FileHashes returns the sha256 of each file, by path, as load records
// them; a file that cannot be read is left out.
func FileHashes(paths []string) map[string]string {
	out := map[string]string{}
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			out[p] = hashOf(b)
		}
	}
	return out
}

// Attributes of the Compose specification gpcheck leaves out, in two
// kinds. An ignored one cannot change what gpcheck judges (resource
// tuning, log drivers, pull policies: nothing is pulled anyway, names:
// gpcheck names each run's containers itself); it is named once in the
// progress lines. An unsupported one could change it (another network or
// PID namespace, devices, static addresses, hooks, secrets), so a project
// using it on an active service is a setup error naming it, rather than
// a run of something other than the file describes. Every other attribute
// of the specification is honoured; a newer specification's attributes
// are unsupported until they are wired in (the list is built from
// compose-go's schema inventory minus these).
var (
	ignoredAttributes = []string{
		"name", "version",
		"services.*.container_name", "services.*.logging", "services.*.attach", "services.*.develop",
		"services.*.platform", "services.*.pull_policy", "services.*.pull_refresh_after",
		"services.*.deploy.resources", "services.*.deploy.restart_policy", "services.*.deploy.labels",
		"services.*.deploy.update_config", "services.*.deploy.rollback_config", "services.*.deploy.placement",
		"services.*.deploy.endpoint_mode", "services.*.deploy.mode",
		"services.*.blkio_config", "services.*.cpu_count", "services.*.cpu_percent", "services.*.cpu_period",
		"services.*.cpu_quota", "services.*.cpu_rt_period", "services.*.cpu_rt_runtime", "services.*.cpu_shares",
		"services.*.cpuset", "services.*.mem_reservation", "services.*.mem_swappiness", "services.*.memswap_limit",
		"services.*.oom_kill_disable", "services.*.oom_score_adj",
		"services.*.healthcheck.start_interval", "services.*.volumes.[].consistency",
		"services.*.networks.*.gw_priority",
		"services.*.build.cache_from", "services.*.build.cache_to", "services.*.build.no_cache_filter",
		"services.*.build.pull", "services.*.build.tags", "services.*.build.platforms",
		"services.*.build.provenance", "services.*.build.sbom",
		"networks.*.attachable",
	}
	unsupportedAttributes = []string{
		"jobs", "models", "secrets", "configs",
		"services.*.secrets", "services.*.configs", "services.*.models",
		"services.*.network_mode", "services.*.ipc", "services.*.pid", "services.*.uts", "services.*.cgroup",
		"services.*.cgroup_parent", "services.*.userns_mode", "services.*.runtime", "services.*.isolation",
		"services.*.credential_spec", "services.*.devices", "services.*.device_cgroup_rules", "services.*.gpus",
		"services.*.storage_opt", "services.*.volume_driver", "services.*.volumes_from", "services.*.external_links",
		"services.*.mac_address", "services.*.use_api_socket", "services.*.provider", "services.*.pre_start",
		"services.*.post_start", "services.*.pre_stop", "services.*.annotations", "services.*.dns",
		"services.*.dns_opt", "services.*.dns_search", "services.*.umask",
		"services.*.networks.*.ipv4_address", "services.*.networks.*.ipv6_address", "services.*.networks.*.link_local_ips",
		"services.*.networks.*.mac_address", "services.*.networks.*.interface_name", "services.*.networks.*.driver_opts",
		"services.*.volumes.[].image", "services.*.volumes.[].volume.subpath", "services.*.volumes.[].bind.recursive",
		"services.*.volumes.[].bind.selinux",
		"services.*.build.dockerfile_inline", "services.*.build.additional_contexts", "services.*.build.ssh",
		"services.*.build.secrets", "services.*.build.entitlements", "services.*.build.privileged",
		"services.*.build.network", "services.*.build.shm_size", "services.*.build.ulimits",
		"services.*.build.extra_hosts", "services.*.build.isolation",
		"networks.*.ipam", "networks.*.enable_ipv4", "networks.*.enable_ipv6",
	}
)

// supportedAttributes is the specification's inventory less what is
// ignored or unsupported.
func supportedAttributes() []tree.Path {
	left := slices.Concat(ignoredAttributes, unsupportedAttributes)
	var out []tree.Path
	for _, p := range schema.AttributePaths() {
		if !underAny(p, left) {
			out = append(out, p)
		}
	}
	return out
}

// underAny reports whether p is one of patterns or lies under one.
func underAny(p tree.Path, patterns []string) bool {
	return matchingPattern(p, patterns) != ""
}

// matchingPattern returns the pattern p is or lies under, or "".
func matchingPattern(p tree.Path, patterns []string) string {
	parts := p.Parts()
	for _, pat := range patterns {
		pp := tree.Path(pat).Parts()
		if len(pp) <= len(parts) && tree.NewPath(parts[:len(pp)]...).Matches(tree.Path(pat)) {
			return pat
		}
	}
	return ""
}

// screen sorts the attributes the loader found outside the supported
// list: on an inactive service they do not matter, ignored ones are noted,
// and any other makes a *ConfigError naming them.
func (p *project) screen(findings []loader.UnsupportedAttribute) error {
	var unsupported []string
	ignored := map[string]bool{}
	for _, f := range findings {
		parts := f.Path.Parts()
		if len(parts) >= 2 && parts[0] == "services" {
			if _, active := p.Services[parts[1]]; !active {
				continue
			}
		}
		if pat := matchingPattern(f.Path, ignoredAttributes); pat != "" {
			if pat != "name" && pat != "version" {
				ignored[strings.TrimPrefix(pat, "services.*.")] = true
			}
			continue
		}
		unsupported = append(unsupported, string(f.Path))
	}
	for k := range ignored {
		p.ignored = append(p.ignored, k)
	}
	sort.Strings(p.ignored)
	if len(unsupported) > 0 {
		sort.Strings(unsupported)
		return configf("compose: --target compose does not support %s (it would run something other than the file describes)", strings.Join(unsupported, ", "))
	}
	return nil
}

// check refuses what the attribute screen cannot see: values gpcheck does
// not honour, and resources that live outside the run.
func (p *project) check() error {
	if len(p.Services) == 0 {
		return configf("compose: the project has no active service (are its services in profiles? give --compose-profile)")
	}
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		if s.GetScale() > 1 {
			return configf("compose: service %s: scale %d is not supported (gpcheck runs one container a service)", name, s.GetScale())
		}
		for _, v := range s.Volumes {
			switch v.Type {
			case types.VolumeTypeBind, types.VolumeTypeVolume, types.VolumeTypeTmpfs:
			default:
				return configf("compose: service %s: volume type %q is not supported", name, v.Type)
			}
		}
		for dep, d := range s.DependsOn {
			ds, active := p.Services[dep]
			if !active {
				if d.Required {
					return configf("compose: service %s depends on %s, which is not active (in a profile? give --compose-profile)", name, dep)
				}
				continue
			}
			switch d.Condition {
			case "", types.ServiceConditionStarted, types.ServiceConditionCompletedSuccessfully:
			case types.ServiceConditionHealthy:
				if ds.HealthCheck != nil && ds.HealthCheck.Disable {
					return configf("compose: service %s waits for %s to be healthy, whose healthcheck is disabled", name, dep)
				}
			default:
				return configf("compose: service %s: unknown depends_on condition %q for %s", name, d.Condition, dep)
			}
		}
	}
	for key, n := range p.Networks {
		if !p.networkUsed(key) {
			continue
		}
		if n.External {
			return configf("compose: network %s is external; gpcheck starts every run on networks of its own", key)
		}
		if n.Driver != "" && n.Driver != "bridge" {
			return configf("compose: network %s: driver %q is not supported (bridge only)", key, n.Driver)
		}
	}
	for key, v := range p.Volumes {
		if !p.volumeUsed(key) {
			continue
		}
		if v.External {
			return configf("compose: volume %s is external; gpcheck starts every run fresh, on volumes of its own", key)
		}
		if v.Driver != "" && v.Driver != "local" {
			return configf("compose: volume %s: driver %q is not supported (local only)", key, v.Driver)
		}
	}
	if _, err := startOrder(p.Project); err != nil {
		return err
	}
	return nil
}

func (p *project) networkUsed(key string) bool {
	for _, s := range p.Services {
		if _, ok := s.Networks[key]; ok {
			return true
		}
	}
	return false
}

func (p *project) volumeUsed(key string) bool {
	for _, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeVolume && v.Source == key {
				return true
			}
		}
	}
	return false
}

// startOrder returns the active services so that each comes after what
// it depends on, or a *ConfigError naming a dependency cycle.
func startOrder(p *types.Project) ([]string, error) {
	const (
		unseen = iota
		visiting
		done
	)
	state := map[string]int{}
	var order []string
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		switch state[name] {
		case done:
			return nil
		case visiting:
			return configf("compose: depends_on cycle: %s", strings.Join(append(path, name), " → "))
		}
		state[name] = visiting
		s := p.Services[name]
		deps := make([]string, 0, len(s.DependsOn))
		for dep := range s.DependsOn {
			if _, active := p.Services[dep]; active {
				deps = append(deps, dep)
			}
		}
		sort.Strings(deps)
		for _, dep := range deps {
			if err := visit(dep, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = done
		order = append(order, name)
		return nil
	}
	for _, name := range p.ServiceNames() {
		if err := visit(name, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// Role is the Compose service that plays one of gpcheck's roles (auth,
// backend, ws) and the container port it serves that role on.
type Role struct {
	Service string
	// Port is the container port; 0 in Options.Roles means the one port
	// the service declares.
	Port int
}

// roleNames are gpcheck's roles, in the order they are reported.
var roleNames = []string{"auth", "backend", "ws"}

// resolveRoles checks that each role names an active service and finds
// its port: the one given, else the one container port the service
// declares (ports or expose).
func resolveRoles(p *types.Project, roles map[string]Role) (map[string]Role, error) {
	out := map[string]Role{}
	for _, role := range roleNames {
		r, ok := roles[role]
		if !ok || r.Service == "" {
			return nil, configf("--role %s: no service given (want %s=SERVICE[:PORT])", role, role)
		}
		s, active := p.Services[r.Service]
		if !active {
			if _, disabled := p.DisabledServices[r.Service]; disabled {
				return nil, configf("--role %s: service %s is in profile(s) %s, which are not active (give --compose-profile)", role, r.Service, strings.Join(p.DisabledServices[r.Service].Profiles, ", "))
			}
			return nil, configf("--role %s: the project has no service %s (its services: %s)", role, r.Service, strings.Join(p.ServiceNames(), ", "))
		}
		if r.Port == 0 {
			ports := declaredPorts(s)
			switch len(ports) {
			case 0:
				return nil, configf("--role %s: service %s declares no port (ports or expose); name the one it serves on: --role %s=%s:PORT", role, r.Service, role, r.Service)
			case 1:
				r.Port = ports[0]
			default:
				return nil, configf("--role %s: service %s declares ports %s; name the one it serves %s on: --role %s=%s:PORT", role, r.Service, intsText(ports), role, role, r.Service)
			}
		}
		out[role] = r
	}
	return out, nil
}

// declaredPorts lists the TCP container ports a service declares, sorted
// and each once.
func declaredPorts(s types.ServiceConfig) []int {
	seen := map[int]bool{}
	for _, p := range s.Ports {
		if p.Protocol == "" || p.Protocol == "tcp" {
			seen[int(p.Target)] = true
		}
	}
	for _, e := range s.Expose {
		port, proto, _ := strings.Cut(e, "/")
		if proto != "" && proto != "tcp" {
			continue
		}
		var n int
		if _, err := fmt.Sscanf(port, "%d", &n); err == nil && fmt.Sprint(n) == port && n > 0 {
			seen[n] = true
		}
	}
	var out []int
	for p := range seen {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}

func intsText(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ", ")
}
