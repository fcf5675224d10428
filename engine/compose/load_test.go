package compose

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/tree"
)

// writeProject writes files (name → content) into a fresh folder and
// returns its path.
func writeProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// getenv is an environment of its own, for Options.Getenv.
func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var threeRoles = map[string]Role{"auth": {Service: "auth"}, "backend": {Service: "api"}, "ws": {Service: "gw", Port: 9103}}

// base is a small valid project: three role services, one port each
// (the gateway two).
const base = `
services:
  auth:
    image: ${IMG:-platform:1}
    expose: ["9101"]
    environment:
      FAULTS: ${GPCHECK_FAULTS:-}
      HOME_SEEN: ${HOME:-unset}
      SIGNING_KEY: ${JWT_SECRET:-}
  api:
    image: platform:1
    ports: ["8000:9102"]
  gw:
    image: platform:1
    expose: ["9103", "9190"]
`

func TestLoadVariables(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   map[string]string
		envFile string // relative to the project, "" for none
		env     map[string]string
		image   string
		vars    map[string]string // expected service env of auth
		hashes  []string          // files whose hash is recorded
	}{
		{
			name:    "env file and defaults",
			files:   map[string]string{"compose.yaml": base, "ci.env": "IMG=platform:rc1\nJWT_SECRET=s3cret-from-file\n"},
			envFile: "ci.env",
			image:   "platform:rc1",
			vars:    map[string]string{"FAULTS": "", "HOME_SEEN": "unset", "SIGNING_KEY": "s3cret-from-file"},
			hashes:  []string{"compose.yaml", "ci.env"},
		},
		{
			name:  "GPCHECK variables reach the project, others do not",
			files: map[string]string{"compose.yaml": base},
			env:   map[string]string{"GPCHECK_FAULTS": "ws-unverified-claims", "HOME": "/root", "IMG": "from-shell:1"},
			image: "platform:1",
			vars:  map[string]string{"FAULTS": "ws-unverified-claims", "HOME_SEEN": "unset", "SIGNING_KEY": ""},
		},
		{
			name:   "the .env beside the file is read by default",
			files:  map[string]string{"compose.yaml": base, ".env": "IMG=dotenv:2\nJWT_SECRET=k\n"},
			image:  "dotenv:2",
			vars:   map[string]string{"SIGNING_KEY": "k"},
			hashes: []string{"compose.yaml", ".env"},
		},
		{
			name: "a service's env_file names a GPCHECK variable",
			files: map[string]string{"compose.yaml": strings.Replace(base, "    expose: [\"9101\"]\n", "    expose: [\"9101\"]\n    env_file: [svc.env]\n", 1),
				"svc.env": "TOKEN=${GPCHECK_SVC_TOKEN:-none}\n"},
			env:    map[string]string{"GPCHECK_SVC_TOKEN": "t-from-gpcheck"},
			image:  "platform:1",
			vars:   map[string]string{"TOKEN": "t-from-gpcheck"},
			hashes: []string{"compose.yaml", "svc.env"},
		},
		{
			name:    "the environment wins over the env file",
			files:   map[string]string{"compose.yaml": base, "ci.env": "GPCHECK_FAULTS=from-file\n"},
			envFile: "ci.env",
			env:     map[string]string{"GPCHECK_FAULTS": "from-env"},
			image:   "platform:1",
			vars:    map[string]string{"FAULTS": "from-env"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeProject(t, tc.files)
			opts := Options{Files: []string{filepath.Join(dir, "compose.yaml")}, Getenv: getenv(tc.env), Roles: threeRoles}
			if tc.envFile != "" {
				opts.EnvFile = filepath.Join(dir, tc.envFile)
			}
			p, err := load(context.Background(), opts, "gpcheck-test")
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			auth := p.Services["auth"]
			if auth.Image != tc.image {
				t.Errorf("image %q, want %q", auth.Image, tc.image)
			}
			for k, want := range tc.vars {
				got := auth.Environment[k]
				if got == nil || *got != want {
					t.Errorf("auth env %s = %v, want %q", k, got, want)
				}
			}
			for _, f := range tc.hashes {
				var found bool
				for path, h := range p.hashes {
					found = found || filepath.Base(path) == f && strings.HasPrefix(h, "sha256:") && len(h) == 71
				}
				if !found {
					t.Errorf("no hash of %s in %v", f, p.hashes)
				}
			}
			if _, ok := p.vars["HOME"]; ok {
				t.Error("HOME, not a GPCHECK_ variable, reached the project")
			}
		})
	}
}

func TestLoadRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		compose string
		roles   map[string]Role
		want    string // in the error
	}{
		{"no such file", "", threeRoles, "--compose-file"},
		{"unsupported attribute", base + "    network_mode: host\n", threeRoles, "services.gw.network_mode"},
		{"unsupported top-level", base + "secrets:\n  s:\n    file: ./s.txt\n", threeRoles, "secrets"},
		{"static address", strings.Replace(base, "  api:\n", "  api:\n    networks:\n      default:\n        ipv4_address: 10.9.0.5\n", 1), threeRoles, "ipv4_address"},
		{"scale", base + "    scale: 2\n", threeRoles, "scale 2"},
		{"cycle", strings.Replace(base, "  api:\n", "  api:\n    depends_on: [gw]\n", 1) + "    depends_on: [api]\n", threeRoles, "cycle"},
		{"external network", base + "networks:\n  default:\n    external: true\n    name: shared\n", threeRoles, "external"},
		{"external volume", strings.Replace(base, "  api:\n", "  api:\n    volumes: [\"data:/data\"]\n", 1) + "volumes:\n  data:\n    external: true\n", threeRoles, "volume data is external"},
		{"unknown role service", base, map[string]Role{"auth": {Service: "identity"}, "backend": {Service: "api"}, "ws": {Service: "gw", Port: 9103}}, "no service identity"},
		{"several ports", base, map[string]Role{"auth": {Service: "auth"}, "backend": {Service: "api"}, "ws": {Service: "gw"}}, "declares ports 9103, 9190"},
		{"no port", strings.Replace(base, "    ports: [\"8000:9102\"]\n", "", 1), threeRoles, "declares no port"},
		{"missing role", base, map[string]Role{"auth": {Service: "auth"}, "backend": {Service: "api"}}, "--role ws"},
		{"role in an inactive profile", strings.Replace(base, "  api:\n", "  api:\n    profiles: [full]\n", 1), threeRoles, "give --compose-profile"},
		{"required variable", strings.Replace(base, "${JWT_SECRET:-}", "${JWT_SECRET:?the signing key}", 1), threeRoles, "the signing key"},
		{"healthy on a disabled healthcheck", strings.Replace(base, "  api:\n", "  api:\n    depends_on:\n      gw: {condition: service_healthy}\n", 1) +
			"    healthcheck: {disable: true}\n", threeRoles, "healthcheck is disabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			if tc.compose != "" {
				files["compose.yaml"] = tc.compose
			}
			dir := writeProject(t, files)
			_, err := load(context.Background(), Options{Files: []string{filepath.Join(dir, "compose.yaml")}, Roles: tc.roles}, "gpcheck-test")
			var ce *ConfigError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("load = %v, want a ConfigError containing %q", err, tc.want)
			}
		})
	}
}

func TestLoadAccepts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		compose  string
		profiles []string
		roles    map[string]Role
		check    func(t *testing.T, p *project)
	}{
		{"ignored attributes are noted, not refused", strings.Replace(base, "  api:\n", "  api:\n    container_name: fixed\n    logging: {driver: none}\n    mem_reservation: 1g\n", 1),
			nil, threeRoles, func(t *testing.T, p *project) {
				if !slices.Equal(p.ignored, []string{"container_name", "logging", "mem_reservation"}) {
					t.Errorf("ignored %v", p.ignored)
				}
			}},
		{"an unsupported attribute on an inactive service", base + "  tools:\n    image: x\n    profiles: [debug]\n    network_mode: host\n",
			nil, threeRoles, func(t *testing.T, p *project) {
				if _, ok := p.Services["tools"]; ok {
					t.Error("the debug profile's service is active")
				}
			}},
		{"a profile activates a role's service", strings.Replace(base, "  api:\n", "  api:\n    profiles: [full]\n", 1),
			[]string{"full"}, threeRoles, func(t *testing.T, p *project) {
				if p.roles["backend"] != (Role{Service: "api", Port: 9102}) {
					t.Errorf("backend role %+v", p.roles["backend"])
				}
			}},
		{"one service plays every role", base, nil, map[string]Role{"auth": {Service: "gw", Port: 9190}, "backend": {Service: "gw", Port: 9190}, "ws": {Service: "gw", Port: 9103}},
			func(t *testing.T, p *project) {
				if p.roles["auth"].Service != "gw" || p.roles["ws"].Port != 9103 {
					t.Errorf("roles %+v", p.roles)
				}
			}},
		{"several files merge in order", base, nil, threeRoles, func(t *testing.T, p *project) {
			if p.Services["api"].Image != "platform:override" {
				t.Errorf("api image %q, want the override's", p.Services["api"].Image)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeProject(t, map[string]string{"compose.yaml": tc.compose, "override.yaml": "services:\n  api:\n    image: platform:override\n"})
			files := []string{filepath.Join(dir, "compose.yaml")}
			if strings.HasPrefix(tc.name, "several files") {
				files = append(files, filepath.Join(dir, "override.yaml"))
			}
			p, err := load(context.Background(), Options{Files: files, Roles: tc.roles, Profiles: tc.profiles}, "gpcheck-test")
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			tc.check(t, p)
		})
	}
}

func TestStartOrder(t *testing.T) {
	dir := writeProject(t, map[string]string{"compose.yaml": `
services:
  auth: {image: x, expose: ["1"], depends_on: {store: {condition: service_healthy}}}
  api: {image: x, expose: ["2"], depends_on: {migrate: {condition: service_completed_successfully}, auth: {condition: service_started}}}
  gw: {image: x, expose: ["3"], depends_on: [api, auth]}
  migrate: {image: x, depends_on: [store]}
  store: {image: x, healthcheck: {test: ["CMD", "/probe"]}}
`})
	p, err := load(context.Background(), Options{Files: []string{filepath.Join(dir, "compose.yaml")},
		Roles: map[string]Role{"auth": {Service: "auth"}, "backend": {Service: "api"}, "ws": {Service: "gw"}}}, "gpcheck-test")
	if err != nil {
		t.Fatal(err)
	}
	order, err := startOrder(p.Project)
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, n := range order {
		pos[n] = i
	}
	for _, before := range [][2]string{{"store", "auth"}, {"store", "migrate"}, {"migrate", "api"}, {"auth", "api"}, {"api", "gw"}} {
		if pos[before[0]] > pos[before[1]] {
			t.Errorf("order %v starts %s before %s", order, before[1], before[0])
		}
	}
}

func TestSupportedAttributes(t *testing.T) {
	supported := supportedAttributes()
	for _, p := range []string{"services.*.image", "services.*.healthcheck.test", "services.*.depends_on.*.condition", "volumes.*.labels"} {
		if !slices.Contains(supported, tree.Path(p)) {
			t.Errorf("%s is not supported", p)
		}
	}
	for _, p := range []string{"services.*.network_mode", "services.*.secrets", "services.*.container_name", "services.*.build.ssh"} {
		if slices.Contains(supported, tree.Path(p)) {
			t.Errorf("%s is supported", p)
		}
	}
	if got := matchingPattern("services.db.deploy.resources.limits", ignoredAttributes); got != "services.*.deploy.resources" {
		t.Errorf("matchingPattern = %q", got)
	}
}

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"JWT_SECRET": true, "JWTSECRET": true, "API_KEY": true, "apikey": true, "DB_PASSWORD": true, "POSTGRES_PASS": true,
		"GPCHECK_SERVICE_SECRET": true, "ACCESS_TOKENS": true, "DATABASE_DSN": true, "private.key": true,
		"KEYCLOAK_URL": false, "PORT": false, "IMG": false, "FAULT_MODES": false, "PASSAGE": false, "LOG_LEVEL": false,
	} {
		if got := secretName(name); got != want {
			t.Errorf("secretName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestRestartPolicy(t *testing.T) {
	for _, tc := range []struct {
		in    string
		name  string
		count int
		bad   bool
	}{
		{"", "no", 0, false}, {"no", "no", 0, false}, {"always", "always", 0, false}, {"unless-stopped", "unless-stopped", 0, false},
		{"on-failure", "on-failure", 0, false}, {"on-failure:3", "on-failure", 3, false}, {"on-failure:x", "", 0, true}, {"sometimes", "", 0, true},
	} {
		rp, err := restartPolicy(tc.in)
		if (err != nil) != tc.bad || !tc.bad && (string(rp.Name) != tc.name || rp.MaximumRetryCount != tc.count) {
			t.Errorf("restartPolicy(%q) = %+v, %v", tc.in, rp, err)
		}
	}
}
