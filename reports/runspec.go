package reports

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// RunSpec is the one description of a run: what to test and how. Flags,
// gpcheck.yaml, the report (which records it whole), --rerun-failed and
// repro all read and write this one type, so that a setting added here is
// recorded and replayed everywhere.
//
// It never holds a secret: secrets come from the environment or from the
// files it names.
type RunSpec struct {
	// Target is the kind of target: local, containers, compose or remote.
	Target string `json:"target" yaml:"target"`
	// Faults are fault modes of the reference services (local and
	// containers targets).
	Faults []string `json:"faults,omitempty" yaml:"faults"`
	// Images are prebuilt images for the containers target, by service
	// (auth, backend, ws); empty builds one from this repository.
	Images map[string]string `json:"images,omitempty" yaml:"images"`
	// ComposeFiles are the Compose files of the compose target, merged in
	// order as `docker compose -f A -f B` merges them.
	ComposeFiles []string `json:"compose_files,omitempty" yaml:"compose_files"`
	// Roles says which Compose service plays each role (auth, backend, ws),
	// as SERVICE or SERVICE:PORT (the container port, when the service
	// declares several); one service may play several roles.
	Roles map[string]string `json:"roles,omitempty" yaml:"roles"`
	// EnvFile is the compose target's variable file (`docker compose
	// --env-file`); empty reads the .env beside the first Compose file, if
	// any. Its values stay out of every report: only its path and hash are
	// recorded.
	EnvFile string `json:"env_file,omitempty" yaml:"env_file"`
	// ComposeProfiles are the Compose profiles to activate.
	ComposeProfiles []string `json:"compose_profiles,omitempty" yaml:"compose_profiles"`
	// Build builds the services that have a build: section, locally (the
	// compose target never pulls).
	Build bool `json:"build,omitempty" yaml:"build"`
	// SigningKeyVar names the variable of EnvFile (or a GPCHECK_*
	// environment variable) that holds the system's signing key, read in
	// SigningKeyFormat, for the compose target's keyed token cases.
	SigningKeyVar string `json:"signing_key_var,omitempty" yaml:"signing_key_var"`
	// ImageDigests are the images a containers or compose run ran, by
	// service, as image ids (sha256:…). A run records them; a replay
	// (repro, --rerun-failed) runs the same images again by them.
	ImageDigests map[string]string `json:"image_digests,omitempty" yaml:"-"`
	// ComposeHashes are the sha256 of the files a compose run read (the
	// Compose files, the env file, the services' env_file files), by
	// path, so that a replay can tell when they changed.
	ComposeHashes map[string]string `json:"compose_hashes,omitempty" yaml:"-"`

	// AuthURL, BackendURL and WSURL locate a remote target.
	AuthURL    string `json:"auth_url,omitempty" yaml:"auth_url"`
	BackendURL string `json:"backend_url,omitempty" yaml:"backend_url"`
	WSURL      string `json:"ws_url,omitempty" yaml:"ws_url"`
	// Origin is the Origin header of WebSocket handshakes; empty takes the
	// target's default (the reference services' allowed Origin locally).
	Origin string `json:"origin,omitempty" yaml:"origin"`
	// Profile is a YAML file of the deployment's names; empty is the
	// reference protocol.
	Profile string `json:"profile,omitempty" yaml:"profile"`
	// CAFile is a PEM file of the CAs trusted for https and wss.
	CAFile string `json:"ca_file,omitempty" yaml:"ca_file"`
	// RequestTimeout bounds every single HTTP request.
	RequestTimeout Duration `json:"request_timeout" yaml:"request_timeout"`

	// UserMode is how test users are obtained: register, bypass or
	// credentials; empty takes the profile's.
	UserMode string `json:"user_mode,omitempty" yaml:"user_mode"`
	// CredentialsFile holds the test accounts of user mode credentials.
	CredentialsFile string `json:"credentials_file,omitempty" yaml:"credentials_file"`
	// BypassKeyFile holds the e2e bypass key; empty reads
	// $GPCHECK_BYPASS_KEY.
	BypassKeyFile string `json:"bypass_key_file,omitempty" yaml:"bypass_key_file"`
	// ServiceID is presented with the service secret to the auth service's
	// validate endpoint; empty reads $GPCHECK_SERVICE_ID.
	ServiceID string `json:"service_id,omitempty" yaml:"service_id"`
	// ServiceSecretFile holds the service secret; empty reads
	// $GPCHECK_SERVICE_SECRET.
	ServiceSecretFile string `json:"service_secret_file,omitempty" yaml:"service_secret_file"`
	// SigningKeyFile holds the system's HS256 signing key, for the token
	// cases that need it (remote targets).
	SigningKeyFile string `json:"signing_key_file,omitempty" yaml:"signing_key_file"`
	// SigningKeyFormat says how SigningKeyFile holds the key: raw (the
	// file's bytes, a trailing newline trimmed; the default), hex or
	// base64.
	SigningKeyFormat string `json:"signing_key_format,omitempty" yaml:"signing_key_format"`

	// Users is the number of virtual users.
	Users int `json:"users" yaml:"users"`
	// Concurrency bounds the agent runs in flight; 0 means one per user.
	Concurrency int `json:"concurrency" yaml:"concurrency"`
	// Messages is how many messages each user sends (0 with Duration: as
	// many as fit).
	Messages int `json:"messages" yaml:"messages"`
	// Ramp spreads the users' starts; Duration keeps them sending until it
	// has passed; KeepAlive is the ping interval of waiting connections.
	Ramp      Duration `json:"ramp,omitempty" yaml:"ramp"`
	Duration  Duration `json:"duration,omitempty" yaml:"duration"`
	KeepAlive Duration `json:"keepalive" yaml:"keepalive"`
	// CollideEvery gives every n-th user counter request ids (req-1,
	// req-2, …) that collide with other users', as real clients' do; 0
	// means every third, 1 every user, -1 none.
	CollideEvery int `json:"collide_every,omitempty" yaml:"collide_every"`
	// Churn is how many churn groups run: a user who drops mid-stream and
	// reconnects, a user who connects for the first time meanwhile, and a
	// user who closes a second tab while its run streams; 0 means one
	// group per 10 users (at most 50), -1 none.
	Churn int `json:"churn,omitempty" yaml:"churn"`
	// Shard is "i/n" when the run is one shard of a larger one.
	Shard string `json:"shard,omitempty" yaml:"shard"`
	// Shards lists the shards a merged report was made from.
	Shards []string `json:"shards,omitempty" yaml:"-"`
	// Seed seeds users and messages; 0 draws one (the report records it).
	Seed uint64 `json:"seed" yaml:"seed"`

	// LabelFilter selects specs with Ginkgo's label-filter syntax.
	LabelFilter string `json:"label_filter,omitempty" yaml:"label_filter"`
	// Focus, when set, runs only the specs with these full names.
	Focus []string `json:"focus,omitempty" yaml:"focus"`
	// MinCompletion is the completion rate, in percent, the golden path
	// needs.
	MinCompletion float64 `json:"min_completion" yaml:"min_completion"`
	// MaxFailureRate, when set, is the failure rate (percent) the golden
	// path must show at Confidence: the run is sized to the flows that can
	// show it, and gated on the bound rather than on MinCompletion.
	MaxFailureRate float64 `json:"max_failure_rate,omitempty" yaml:"max_failure_rate"`
	// Confidence is the confidence (percent) of failure-rate bounds; 0
	// means 95.
	Confidence float64 `json:"confidence,omitempty" yaml:"confidence"`
	// Timeout bounds the whole run.
	Timeout Duration `json:"timeout" yaml:"timeout"`
	// FailOn is the least severity that fails the run: findings below it
	// are reported but do not fail it. Empty means medium (everything but
	// advisories fails).
	FailOn Severity `json:"fail_on,omitempty" yaml:"fail_on"`

	// ReportDir is where the report files go; empty writes none.
	ReportDir string `json:"report_dir,omitempty" yaml:"report_dir"`
	// History, when set, is a file the run appends its summary line to.
	History string `json:"history,omitempty" yaml:"history"`
}

// DefaultRunSpec is the run `gpcheck run` makes with no flags: the
// embedded reference services, 20 users, one message each.
func DefaultRunSpec() RunSpec {
	return RunSpec{
		Target:         "local",
		RequestTimeout: Duration(10 * time.Second),
		Users:          20,
		Messages:       1,
		KeepAlive:      Duration(15 * time.Second),
		MinCompletion:  100,
		Timeout:        Duration(10 * time.Minute),
		ReportDir:      "gpcheck-report",
	}
}

// Validate checks the spec's own values (not whether its files exist or
// its target answers), returning one error that names the first bad
// setting by its flag.
func (s RunSpec) Validate() error {
	switch {
	case s.Users < 1:
		return fmt.Errorf("--users must be at least 1, got %d", s.Users)
	case s.Concurrency < 0:
		return fmt.Errorf("--concurrency must not be negative, got %d", s.Concurrency)
	case s.Messages < 0 || s.Messages == 0 && s.Duration == 0:
		return fmt.Errorf("--messages must be at least 1 (0 only with --duration), got %d", s.Messages)
	case s.Ramp < 0 || s.Duration < 0 || s.KeepAlive <= 0:
		return errors.New("--ramp and --duration must not be negative, --keepalive must be positive")
	case math.IsNaN(s.MinCompletion) || s.MinCompletion < 0 || s.MinCompletion > 100:
		return fmt.Errorf("--min-completion must be a number within 0..100, got %g", s.MinCompletion)
	case math.IsNaN(s.MaxFailureRate) || s.MaxFailureRate < 0 || s.MaxFailureRate >= 100:
		return fmt.Errorf("--max-failure-rate must be a number within 0..100 (exclusive of 100), got %g", s.MaxFailureRate)
	case math.IsNaN(s.Confidence) || s.Confidence != 0 && (s.Confidence < 50 || s.Confidence >= 100):
		return fmt.Errorf("--confidence must be within 50..100 (exclusive of 100), got %g", s.Confidence)
	case s.CollideEvery < -1:
		return fmt.Errorf("--collide-every must be -1 (none), 0 (every third user) or a positive n, got %d", s.CollideEvery)
	case s.Churn < -1:
		return fmt.Errorf("--churn must be -1 (none), 0 (one group per 10 users) or a positive number of groups, got %d", s.Churn)
	case s.Timeout <= 0:
		return fmt.Errorf("--timeout must be positive, got %s", s.Timeout)
	case s.RequestTimeout <= 0:
		return fmt.Errorf("--request-timeout must be positive, got %s", s.RequestTimeout)
	}
	remoteOnly := map[string]string{"auth-url": s.AuthURL, "backend-url": s.BackendURL, "ws-url": s.WSURL,
		"signing-key-file": s.SigningKeyFile, "profile": s.Profile, "ca-file": s.CAFile}
	switch s.Target {
	case "local", "containers":
		for _, flag := range []string{"auth-url", "backend-url", "ws-url", "signing-key-file", "profile", "ca-file"} {
			if remoteOnly[flag] != "" {
				return fmt.Errorf("--%s needs --target %s", flag, remoteOr(flag))
			}
		}
	case "remote":
		if len(s.Faults) > 0 {
			return errors.New("--fault works only with --target local or containers")
		}
	case "compose":
		for _, flag := range []string{"auth-url", "backend-url", "ws-url", "ca-file"} {
			if remoteOnly[flag] != "" {
				return fmt.Errorf("--%s needs --target remote", flag)
			}
		}
		if len(s.Faults) > 0 {
			return errors.New("--fault works only with --target local or containers (a Compose project switches fault modes in its own environment)")
		}
		if err := s.validateCompose(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown --target %q (want local, containers, compose or remote)", s.Target)
	}
	if len(s.Images) > 0 && s.Target != "containers" {
		return errors.New("--image needs --target containers")
	}
	if s.Target != "compose" {
		for _, f := range []struct {
			flag string
			set  bool
		}{{"compose-file", len(s.ComposeFiles) > 0}, {"role", len(s.Roles) > 0}, {"env-file", s.EnvFile != ""},
			{"compose-profile", len(s.ComposeProfiles) > 0}, {"build", s.Build}, {"signing-key-var", s.SigningKeyVar != ""}} {
			if f.set {
				return fmt.Errorf("--%s needs --target compose", f.flag)
			}
		}
	}
	switch s.SigningKeyFormat {
	case "", "raw", "hex", "base64":
	default:
		return fmt.Errorf("unknown --signing-key-format %q (want raw, hex or base64)", s.SigningKeyFormat)
	}
	if s.FailOn != "" {
		if _, err := ParseSeverity(string(s.FailOn)); err != nil {
			return fmt.Errorf("--fail-on: %w", err)
		}
	}
	switch s.UserMode {
	case "", "register", "bypass", "credentials":
	default:
		return fmt.Errorf("unknown --user-mode %q (want register, bypass or credentials)", s.UserMode)
	}
	return nil
}

// remoteOr names the targets a remote-only flag also works with.
func remoteOr(flag string) string {
	if flag == "signing-key-file" || flag == "profile" {
		return "remote or compose"
	}
	return "remote"
}

// validateCompose checks the compose target's own settings: at least one
// Compose file, and a well-formed role for each of auth, backend and ws.
func (s RunSpec) validateCompose() error {
	if len(s.ComposeFiles) == 0 {
		return errors.New("--target compose needs --compose-file")
	}
	for role, v := range s.Roles {
		if role != "auth" && role != "backend" && role != "ws" {
			return fmt.Errorf("--role: unknown role %q (want auth, backend or ws)", role)
		}
		if _, _, err := ParseRole(v); err != nil {
			return fmt.Errorf("--role %s: %w", role, err)
		}
	}
	for _, role := range []string{"auth", "backend", "ws"} {
		if s.Roles[role] == "" {
			return fmt.Errorf("--target compose needs --role %s=SERVICE[:PORT] (the Compose service that plays it)", role)
		}
	}
	if s.SigningKeyVar != "" && s.SigningKeyFile != "" {
		return errors.New("--signing-key-var and --signing-key-file both name the signing key; give one")
	}
	return nil
}

// ParseRole reads a role's value, SERVICE or SERVICE:PORT; port is 0 when
// none is given.
func ParseRole(v string) (service string, port int, err error) {
	service, p, hasPort := strings.Cut(strings.TrimSpace(v), ":")
	if service == "" {
		return "", 0, fmt.Errorf("%q names no service (want SERVICE or SERVICE:PORT)", v)
	}
	if hasPort {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return "", 0, fmt.Errorf("%q: the port must be a number within 1..65535", v)
		}
		port = n
	}
	return service, port, nil
}

// Redacted returns s as a report may show it: URLs without their
// userinfo (a password in a URL is a secret).
func (s RunSpec) Redacted() RunSpec {
	s.AuthURL, s.BackendURL, s.WSURL, s.Origin = StripUserinfo(s.AuthURL), StripUserinfo(s.BackendURL), StripUserinfo(s.WSURL), StripUserinfo(s.Origin)
	return s
}

// StripUserinfo returns raw with any user:password@ taken out; text that
// does not parse as a URL is returned unchanged.
func StripUserinfo(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

// Duration is a time.Duration written as a Go duration string ("10s") in
// JSON and YAML.
type Duration time.Duration

// String returns the duration as Go writes it.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a Go duration string such as "1m30s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 10s or 2m", b)
	}
	*d = Duration(v)
	return nil
}
