// Package profile describes a deployment's names: what it calls the
// paths, fields, frames and events of docs/protocol.md, its SLAs and how
// test users are obtained. It is a leaf: both the harness (which speaks
// to a deployment under its names) and the reference services (which can
// be served under a profile's names) import it, and it imports neither.
package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// UserMode says how the harness obtains test users.
type UserMode string

const (
	// UsersRegister registers each user (logging in when it already
	// exists), then logs in: the login of the golden path.
	UsersRegister UserMode = "register"
	// UsersBypass uses the auth service's e2e bypass-key endpoint.
	UsersBypass UserMode = "bypass"
	// UsersCredentials logs in with given credentials (one account per
	// virtual user), for deployments where tests may not create users.
	UsersCredentials UserMode = "credentials"
)

// Profile maps what a deployment names differently from the reference
// protocol: paths, the login body's user-id field, how the WebSocket
// token is presented, the user-message frame, event names, SLAs and how
// test users are obtained. The zero value of every field means the
// reference's name; Default returns the reference itself.
type Profile struct {
	Name  string `yaml:"name"`
	Paths Paths  `yaml:"paths"`
	// LoginUserIDField is the dotted path of the user id in the login
	// body; reference "user.id".
	LoginUserIDField string `yaml:"login_user_id_field"`
	// ValidateUserIDField is the dotted path of the user id in the
	// validate answer; reference "user_id".
	ValidateUserIDField string `yaml:"validate_user_id_field"`
	// WSAuth is how WebSocket clients present tokens: "header",
	// "subprotocol", or "both" (alternating between users, the default).
	WSAuth string `yaml:"ws_auth"`
	// UserMessageType and MessageField name the user-message frame's type
	// and its text field inside payload.
	UserMessageType string `yaml:"user_message_type"`
	MessageField    string `yaml:"message_field"`
	// TraceField, when set, names the payload field of each user message
	// that carries the flow's W3C trace context while gpcheck traces its
	// flows: an object {"traceparent": …, "tracestate": …}, for gateways
	// that continue the trace per message rather than per connection.
	// Empty (the reference) sends none; the handshake always carries it.
	TraceField string `yaml:"trace_field,omitempty"`
	Events     Events `yaml:"events"`
	SLA        SLA    `yaml:"sla"`
	// Users is how test users are obtained: register or bypass.
	Users UserMode `yaml:"users"`
	// Budgets bound what gpcheck accepts from the WebSocket gateway.
	Budgets Budgets `yaml:"budgets"`
	// Policy is what the deployment declares where the standards allow
	// more than one behaviour; undeclared keys are judged only for
	// agreement across paths.
	Policy Policy `yaml:"policy"`
	// ServiceAuth names how gpcheck's service credentials are presented
	// to the validate endpoint.
	ServiceAuth ServiceAuth `yaml:"service_auth"`
	// Statuses are the auth endpoints' success statuses where the
	// deployment's differ from the defaults.
	Statuses Statuses `yaml:"statuses"`
}

// Budgets bound what gpcheck accepts from the WebSocket gateway, so that
// a gateway that streams frames without end, or sends a frame of 50 MB,
// fails its flow (a protocol_violation) instead of exhausting gpcheck's
// memory. A run is what one user message brings. Every value must be
// positive; Default holds the defaults.
type Budgets struct {
	// MaxFrameBytes is the largest frame gpcheck reads; default 1048576 (1 MiB).
	MaxFrameBytes int64 `yaml:"max_frame_bytes"`
	// MaxFramesPerRun is the most frames accepted in one run; default 1000.
	MaxFramesPerRun int64 `yaml:"max_frames_per_run"`
	// MaxBytesPerRun is the most frame bytes accepted in one run; default
	// 8388608 (8 MiB).
	MaxBytesPerRun int64 `yaml:"max_bytes_per_run"`
	// MaxFramesPerSecond is the most frames accepted within one second on
	// one connection; default 2000.
	MaxFramesPerSecond int64 `yaml:"max_frames_per_second"`
}

// The default budgets (harness/client's defaults, which a test keeps equal).
const (
	DefaultMaxFrameBytes      = 1 << 20
	DefaultMaxFramesPerRun    = 1000
	DefaultMaxBytesPerRun     = 8 << 20
	DefaultMaxFramesPerSecond = 2000
)

// Paths are the HTTP paths of the three services. {id} stands for
// a thread id.
type Paths struct {
	Register string `yaml:"register"`
	Login    string `yaml:"login"`
	Validate string `yaml:"validate"`
	Refresh  string `yaml:"refresh"`
	Logout   string `yaml:"logout"`
	TestAuth string `yaml:"test_auth"`
	Profile  string `yaml:"profile"`
	Threads  string `yaml:"threads"`
	Thread   string `yaml:"thread"`
	Messages string `yaml:"messages"`
	WS       string `yaml:"ws"`
}

// Events are the names of the server's frames.
type Events struct {
	ConnectionEstablished string `yaml:"connection_established"`
	Started               string `yaml:"agent_started"`
	Thinking              string `yaml:"agent_thinking"`
	ToolExecuting         string `yaml:"tool_executing"`
	ToolCompleted         string `yaml:"tool_completed"`
	Completed             string `yaml:"agent_completed"`
	Error                 string `yaml:"agent_error"`
	Pong                  string `yaml:"pong"`
}

// SLA are the golden path's deadlines, as Go durations ("2s").
type SLA struct {
	Connect    Duration `yaml:"connect"`
	FirstEvent Duration `yaml:"first_event"`
	Total      Duration `yaml:"total"`
}

// Duration is a time.Duration written as "2s" in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return fmt.Errorf("line %d: %q is not a positive duration such as 2s", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a Go duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Default is the reference protocol of PROTOCOL.md.
func Default() Profile {
	return Profile{
		Name: "reference",
		Paths: Paths{
			Register: "/auth/register", Login: "/auth/login", Validate: "/auth/validate", Refresh: "/auth/refresh",
			Logout: "/auth/logout", TestAuth: "/auth/e2e/test-auth", Profile: "/api/v1/user/profile",
			Threads: "/api/threads", Thread: "/api/threads/{id}", Messages: "/api/threads/{id}/messages", WS: "/ws",
		},
		LoginUserIDField:    "user.id",
		ValidateUserIDField: "user_id",
		WSAuth:              "both",
		UserMessageType:     "user_message",
		MessageField:        "message",
		Events: Events{
			ConnectionEstablished: "connection_established", Started: "agent_started", Thinking: "agent_thinking",
			ToolExecuting: "tool_executing", ToolCompleted: "tool_completed", Completed: "agent_completed",
			Error: "agent_error", Pong: "pong",
		},
		SLA:   SLA{Connect: Duration(2 * time.Second), FirstEvent: Duration(5 * time.Second), Total: Duration(60 * time.Second)},
		Users: UsersRegister,
		Budgets: Budgets{
			MaxFrameBytes: DefaultMaxFrameBytes, MaxFramesPerRun: DefaultMaxFramesPerRun,
			MaxBytesPerRun: DefaultMaxBytesPerRun, MaxFramesPerSecond: DefaultMaxFramesPerSecond,
		},
	}
}

// Load reads a YAML profile from path. Fields it leaves out keep
// the reference's values; unknown keys and bad values are errors naming
// the file and line.
func Load(path string) (Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Profile{}, fmt.Errorf("profile: %w", err)
	}
	p, err := Parse(bytes.NewReader(b))
	if err != nil {
		return Profile{}, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Parse reads a YAML profile over the reference profile.
func Parse(r io.Reader) (Profile, error) {
	p := Default()
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		return Profile{}, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := p.Validate(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// Validate checks the profile's values.
func (p Profile) Validate() error {
	for name, v := range map[string]string{
		"paths.register": p.Paths.Register, "paths.login": p.Paths.Login, "paths.validate": p.Paths.Validate,
		"paths.refresh": p.Paths.Refresh, "paths.logout": p.Paths.Logout, "paths.test_auth": p.Paths.TestAuth,
		"paths.profile": p.Paths.Profile, "paths.threads": p.Paths.Threads, "paths.thread": p.Paths.Thread,
		"paths.messages": p.Paths.Messages, "paths.ws": p.Paths.WS,
	} {
		if !strings.HasPrefix(v, "/") {
			return fmt.Errorf("%s: %q must start with /", name, v)
		}
	}
	for _, name := range []string{p.Paths.Thread, p.Paths.Messages} {
		if !strings.Contains(name, "{id}") {
			return fmt.Errorf("paths: %q must contain {id}", name)
		}
	}
	switch p.WSAuth {
	case "header", "subprotocol", "both":
	default:
		return fmt.Errorf("ws_auth: %q is not header, subprotocol or both", p.WSAuth)
	}
	switch p.Users {
	case UsersRegister, UsersBypass, UsersCredentials:
	default:
		return fmt.Errorf("users: %q is not register, bypass or credentials", p.Users)
	}
	ev := p.Events
	for name, v := range map[string]string{
		"user_message_type": p.UserMessageType, "message_field": p.MessageField, "login_user_id_field": p.LoginUserIDField,
		"events.connection_established": ev.ConnectionEstablished, "events.agent_started": ev.Started,
		"events.agent_thinking": ev.Thinking, "events.tool_executing": ev.ToolExecuting, "events.tool_completed": ev.ToolCompleted,
		"events.agent_completed": ev.Completed, "events.agent_error": ev.Error, "events.pong": ev.Pong,
	} {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("%s must not be empty", name)
		}
	}
	if f := p.TraceField; f != "" && (f == p.MessageField || f == "thread_id" || f == "request_id") {
		return fmt.Errorf("trace_field: %q is already a payload field", f)
	}
	if err := p.Policy.Validate(); err != nil {
		return err
	}
	if err := p.Statuses.Validate(); err != nil {
		return err
	}
	return p.Budgets.Validate()
}

// Validate checks that every budget is positive.
func (b Budgets) Validate() error {
	for _, v := range []struct {
		name string
		val  int64
	}{
		{"max_frame_bytes", b.MaxFrameBytes}, {"max_frames_per_run", b.MaxFramesPerRun},
		{"max_bytes_per_run", b.MaxBytesPerRun}, {"max_frames_per_second", b.MaxFramesPerSecond},
	} {
		if v.val <= 0 {
			return fmt.Errorf("budgets.%s: %d must be positive", v.name, v.val)
		}
	}
	return nil
}

// YAML renders the profile, for `gpcheck profile show`.
func (p Profile) YAML() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encode profile: %w", err)
	}
	return buf.Bytes(), nil
}

// EventTypes are the five events of a successful run, in order, under
// this profile's names.
func (p Profile) EventTypes() []string {
	e := p.Events
	return []string{e.Started, e.Thinking, e.ToolExecuting, e.ToolCompleted, e.Completed}
}
