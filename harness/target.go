// Package harness drives the Golden Path of PROTOCOL.md against a system
// under test and judges what it saw. This file defines the target: where
// the three services are and how test users are obtained.
package harness

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/profile"
	"github.com/gpcheck/gpcheck/harness/telemetry"
	"github.com/gpcheck/gpcheck/harness/tokens"
)

// Credential is one given test account.
type Credential struct {
	Email, Password string
}

// SLA holds the golden path's deadlines.
type SLA struct {
	// Connect bounds the WebSocket handshake plus connection_established.
	Connect time.Duration
	// FirstEvent bounds the time from sending a user message to its first
	// event.
	FirstEvent time.Duration
	// Total bounds one flow from login to the final REST check.
	Total time.Duration
}

// DefaultSLA returns the reference SLAs of PROTOCOL.md.
func DefaultSLA() SLA {
	return SLA{Connect: 2 * time.Second, FirstEvent: 5 * time.Second, Total: 60 * time.Second}
}

// Target is a system under test: its three base URLs and how to use them.
type Target struct {
	// Kind names the kind of target ("local", "containers", "remote"); it is
	// recorded in reports.
	Kind string
	// AuthURL and BackendURL are http(s) base URLs; WSURL is the gateway's
	// ws(s) endpoint URL, path included.
	AuthURL, BackendURL, WSURL string
	// Origin is sent as the Origin header of WebSocket handshakes when set.
	Origin string
	// Users is how test users are obtained; the zero value registers them.
	Users profile.UserMode
	// Credentials are the accounts for Users == profile.UsersCredentials; virtual
	// user i logs in as Credentials[i].
	Credentials []Credential
	// BypassKey is the e2e bypass key, for Users == profile.UsersBypass.
	BypassKey string
	// SLA holds the golden path's deadlines; the zero value means DefaultSLA.
	SLA SLA
	// RequestTimeout bounds every single HTTP request; 0 means 10 s.
	RequestTimeout time.Duration
	// ServiceID and ServiceSecret are presented to /auth/validate, for auth
	// services that demand service credentials; empty sends none.
	ServiceID, ServiceSecret string
	// CAFile, when set, is a PEM file of the CAs trusted for https and wss
	// instead of the system's.
	CAFile string
	// Profile maps the deployment's names; the zero value means
	// profile.Default, the reference protocol.
	Profile profile.Profile
	// SigningKey is the SUT's HS256 key when known (local targets), for
	// token cases that need it; nil otherwise.
	SigningKey []byte
	// Unreached names the services (auth, backend, ws) preflight could
	// not reach although the selected specs can do without them, each with
	// why: their paths are left out of the comparisons, and the report says
	// so. Nil when every service answered.
	Unreached map[string]string
	// ClockOffset is how far the auth service's clock is ahead of
	// gpcheck's (negative: behind), as calibration measured it from the
	// iat of a token it issued; cases that depend on time are built by the
	// service's clock. Offsets under two seconds are taken as zero.
	ClockOffset time.Duration
	// Policy is what the deployment declares where the standards allow
	// more than one behaviour (leeway, iat skew, duplicate claims); the
	// zero value declares nothing. NewEnv fills it from the profile's
	// policy section when it is zero.
	Policy tokens.Policy
}

// withDefaults returns t with zero fields set to their defaults.
func (t Target) withDefaults() Target {
	if t.Profile.Name == "" {
		t.Profile = profile.Default()
	}
	if t.Users == "" {
		t.Users = t.Profile.Users
	}
	if t.SLA == (SLA{}) {
		ps := t.Profile.SLA
		t.SLA = SLA{Connect: time.Duration(ps.Connect), FirstEvent: time.Duration(ps.FirstEvent), Total: time.Duration(ps.Total)}
	}
	if t.RequestTimeout <= 0 {
		t.RequestTimeout = 10 * time.Second
	}
	if t.Policy == (tokens.Policy{}) {
		pp := t.Profile.Policy
		t.Policy = tokens.Policy{Leeway: pp.Leeway.Duration(), IATSkew: pp.IATSkew.Duration(), DuplicateClaims: pp.DuplicateClaims,
			TwoCredentials: pp.TwoCredentials, Issuer: pp.Issuer, Audience: pp.Audience}
	}
	return t
}

// Validate checks the target's URLs and settings, returning one error that
// names the first bad field.
func (t Target) Validate() error {
	if err := t.ValidateURLs(); err != nil {
		return err
	}
	return t.validateSettings()
}

// ValidateURLs checks the three URLs alone: present, of the right scheme,
// with a host.
func (t Target) ValidateURLs() error {
	for _, u := range []struct {
		name, val string
		schemes   []string
	}{
		{"auth URL", t.AuthURL, []string{"http", "https"}},
		{"backend URL", t.BackendURL, []string{"http", "https"}},
		{"websocket URL", t.WSURL, []string{"ws", "wss"}},
	} {
		if err := checkURL(u.val, u.schemes); err != nil {
			return fmt.Errorf("%s: %w", u.name, err)
		}
	}
	return nil
}

func (t Target) validateSettings() error {
	if t.Profile.Name != "" {
		if err := t.Profile.Validate(); err != nil {
			return fmt.Errorf("profile %s: %w", t.Profile.Name, err)
		}
	}
	switch t.Users {
	case "", profile.UsersRegister:
	case profile.UsersBypass:
		if t.BypassKey == "" {
			return errors.New("users by bypass key: no bypass key given")
		}
	case profile.UsersCredentials:
		if len(t.Credentials) == 0 {
			return errors.New("users by credentials: no credentials given")
		}
	default:
		return fmt.Errorf("unknown user mode %q (want register, bypass or credentials)", t.Users)
	}
	return nil
}

func checkURL(raw string, schemes []string) error {
	if raw == "" {
		return errors.New("missing")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	ok := false
	for _, s := range schemes {
		ok = ok || strings.EqualFold(u.Scheme, s)
	}
	if !ok {
		return fmt.Errorf("%q: scheme must be %s", raw, strings.Join(schemes, " or "))
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	return nil
}

// Env is a target made ready for use: validated, defaulted, with clients.
type Env struct {
	Target Target
	// HTTP sends every request and WebSocket handshake; once Trace has
	// been called, its transport adds the W3C trace context of the
	// request's span (telemetry.Transport).
	HTTP *http.Client
	Auth *client.Auth
	API  *client.API
	// Telemetry traces the flows and counts them (set it with Trace); nil
	// (the default) is tracing off: no span, no header, no metric.
	Telemetry *telemetry.Flows
}

// Trace makes e trace its flows with f: from now on every request and
// handshake carries the trace context of its span. Tracing stays off
// until it is called because wrapping the transport costs net/http's
// fast path: a request through a RoundTripper that is not an
// *http.Transport is cancelled with a timer of its own, some 40
// allocations per flow. A nil f does nothing.
func (e *Env) Trace(f *telemetry.Flows) {
	if f == nil {
		return
	}
	e.Telemetry = f
	e.HTTP.Transport = telemetry.Transport(e.HTTP.Transport)
}

// NewEnv validates t and builds its clients.
func NewEnv(t Target) (*Env, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	t = t.withDefaults()
	var roots *x509.CertPool
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate in it", t.CAFile)
		}
	}
	hc := client.NewHTTPClient(t.RequestTimeout, roots)
	pp := t.Profile.Paths
	paths := client.Paths{Register: pp.Register, Login: pp.Login, Validate: pp.Validate, Refresh: pp.Refresh, Logout: pp.Logout,
		TestAuth: pp.TestAuth, Profile: pp.Profile, Threads: pp.Threads, Messages: pp.Messages}
	return &Env{
		Target: t,
		HTTP:   hc,
		Auth: &client.Auth{BaseURL: t.AuthURL, HTTP: hc, BypassKey: t.BypassKey, ServiceID: t.ServiceID, ServiceSecret: t.ServiceSecret, Paths: paths,
			ServiceIDHeader: t.Profile.ServiceAuth.IDHeader, ServiceSecretHeader: t.Profile.ServiceAuth.SecretHeader,
			ValidateUserIDField: t.Profile.ValidateUserIDField,
			Statuses: client.Statuses{Register: t.Profile.Statuses.Register, Login: t.Profile.Statuses.Login,
				Refresh: t.Profile.Statuses.Refresh, Logout: t.Profile.Statuses.Logout}},
		API: &client.API{BaseURL: t.BackendURL, HTTP: hc, Paths: paths},
	}, nil
}

// UnreachableError reports a service of the target that did not answer its
// health check.
type UnreachableError struct {
	Service string
	URL     string
	Err     error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("%s service at %s is unreachable: %v", e.Service, e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// PreflightNeeded checks that each service in needed ("auth", "backend",
// "ws") answers GET /health — an error names the first that does not —
// and notes in Target.Unreached each other service that does not answer,
// so that specs which can do without it leave its paths out rather than
// judge them.
func (e *Env) PreflightNeeded(ctx context.Context, needed map[string]bool) error {
	ctx, cancel := context.WithTimeout(ctx, e.Target.RequestTimeout)
	defer cancel()
	checks := []struct {
		name, url string
		health    func(context.Context) error
	}{
		{"auth", e.Target.AuthURL, e.Auth.Health},
		{"backend", e.Target.BackendURL, e.API.Health},
		{"websocket", e.Target.WSURL, func(ctx context.Context) error { return client.WSHealth(ctx, e.HTTP, e.Target.WSURL) }},
	}
	for _, c := range checks {
		service := c.name
		if service == "websocket" {
			service = "ws"
		}
		err := c.health(ctx)
		switch {
		case err == nil:
		case needed[service]:
			return &UnreachableError{c.name, c.url, err}
		default:
			if e.Target.Unreached == nil {
				e.Target.Unreached = map[string]string{}
			}
			e.Target.Unreached[service] = err.Error()
		}
	}
	return nil
}

// Reached reports whether service ("auth", "backend", "ws") answered
// preflight, or was not asked.
func (t Target) Reached(service string) bool {
	_, missing := t.Unreached[service]
	return !missing
}

// Preflight checks that every service answers GET /health, so that a
// mistyped URL fails fast with one clear cause instead of as many flow
// failures.
func (e *Env) Preflight(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, e.Target.RequestTimeout)
	defer cancel()
	if err := e.Auth.Health(ctx); err != nil {
		return &UnreachableError{"auth", e.Target.AuthURL, err}
	}
	if err := e.API.Health(ctx); err != nil {
		return &UnreachableError{"backend", e.Target.BackendURL, err}
	}
	if err := client.WSHealth(ctx, e.HTTP, e.Target.WSURL); err != nil {
		return &UnreachableError{"websocket", e.Target.WSURL, err}
	}
	return nil
}
