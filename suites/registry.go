package suites

import (
	"fmt"
	"slices"
)

// Service is one of the system's three services.
type Service string

// The services a spec may need.
const (
	ServiceAuth    Service = "auth"
	ServiceBackend Service = "backend"
	ServiceWS      Service = "ws"
)

// Info describes one spec: the registry's entry for it.
type Info struct {
	// ID is the spec's short, stable id: what `gpcheck list specs` shows,
	// what a fault mode names as the spec that catches it, and what
	// reports record beside the name.
	ID string
	// Container and Text are the Ginkgo container's and the It's texts.
	Container, Text string
	// Labels select the spec with --label-filter.
	Labels []string
	// Needs are the services the spec talks to.
	Needs []Service
}

// Name is the spec's full name, as Ginkgo and the reports show it.
func (i Info) Name() string { return i.Container + " " + i.Text }

// group is the specs of one Ginkgo container and the function that
// defines them.
type group struct {
	container string
	specs     []Info
	define    func(s *state, g group)
}

// registry lists every spec, in the order of the golden path's story:
// the golden path, the single source of truth, services breaking, then
// the attack surface. Adding a spec is one new file holding its define
// function plus its entry here; its labels, its order in every report and
// `gpcheck list specs` all come from this list.
func registry() []group {
	all := []Service{ServiceAuth, ServiceBackend, ServiceWS}
	return []group{
		{"Golden path", []Info{
			{ID: "golden-path", Text: "completes every flow, each stage within its SLA", Labels: []string{"golden-path"}, Needs: all},
			{ID: "isolation", Text: "never shows a user another user's events or data", Labels: []string{"isolation"}, Needs: all},
			{ID: "identity", Text: "resolves each token to the same user on every path", Labels: []string{"identity"}, Needs: all},
		}, (*state).defineGoldenPath},
		{"WebSocket gateway", []Info{
			{ID: "websocket", Text: "refuses what the auth service refuses and keeps the frame rules", Labels: []string{"websocket", "identity"}, Needs: all},
		}, (*state).defineWebSocket},
		{"Single source of truth", []Info{
			// The matrix judges the auth service alone when that is all
			// there is (an auth-only deployment); other paths join in when
			// they answer.
			{ID: "tokens", Text: "every path gives the auth service's verdict on every token", Labels: []string{"tokens"}, Needs: []Service{ServiceAuth}},
			{ID: "logout", Text: "honours logout on every path within 1 s, open connections included", Labels: []string{"revocation"}, Needs: all},
			{ID: "refresh", Text: "honours a refresh on every path as the auth service does", Labels: []string{"revocation"}, Needs: all},
			{ID: "expiry", Text: "closes a connection whose token expires while it is open", Labels: []string{"revocation"}, Needs: all},
		}, (*state).defineTokens},
		{"Resilience", []Info{
			{ID: "resilience-backend", Text: "fails closed, attributes failures to their stage and recovers: backend stopped", Labels: []string{"resilience"}, Needs: all},
			{ID: "resilience-auth", Text: "fails closed, attributes failures to their stage and recovers: auth service paused", Labels: []string{"resilience"}, Needs: all},
			{ID: "resilience-ws", Text: "fails closed, attributes failures to their stage and recovers: gateway cut off the network", Labels: []string{"resilience"}, Needs: all},
		}, (*state).defineResilience},
		{"Single source of truth", []Info{
			{ID: "secrets", Text: "trusts the auth service's key on every path, and no other key", Labels: []string{"secrets"}, Needs: all},
		}, (*state).defineSecrets},
		{"Attack surface", []Info{
			{ID: "idor", Text: "never lets a user reach another user's objects by id", Labels: []string{"idor"}, Needs: all},
			{ID: "websocket-security", Text: "refuses foreign Origins, never selects the token as subprotocol and closes after logout", Labels: []string{"websocket-security"}, Needs: all},
			{ID: "order", Text: "gives every token the auth service's verdict whatever was asked before", Labels: []string{"order"}, Needs: all},
		}, (*state).defineAttackSurface},
		{"Session lifecycle", []Info{
			{ID: "session-refresh", Text: "ends the refresh token on logout and spends a used refresh token", Labels: []string{"revocation"}, Needs: []Service{ServiceAuth}},
			{ID: "session-deleted", Text: "refuses a deleted user's tokens everywhere", Labels: []string{"revocation"}, Needs: all},
		}, (*state).defineSessionLifecycle},
	}
}

// Specs returns every spec, in story order.
func Specs() []Info {
	var out []Info
	for _, g := range registry() {
		for _, in := range g.specs {
			in.Container = g.container
			out = append(out, in)
		}
	}
	return out
}

// Labels returns every label a spec carries, each once, in story order.
func Labels() []string {
	var out []string
	for _, in := range Specs() {
		for _, l := range in.Labels {
			if !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	return out
}

// Lookup returns the spec with the given id, or with the given full name.
func Lookup(idOrName string) (Info, bool) {
	for _, in := range Specs() {
		if in.ID == idOrName || in.Name() == idOrName {
			return in, true
		}
	}
	return Info{}, false
}

// rank is a spec's place in story order, by full name; specs the
// registry does not know go last.
func rank(name string) int {
	for i, in := range Specs() {
		if in.Name() == name {
			return i
		}
	}
	return len(Specs())
}

// spec returns the group's spec with the given id. An id the group does
// not list is a mistake in this package, caught by its tests.
func (g group) spec(id string) Info {
	for _, in := range g.specs {
		if in.ID == id {
			in.Container = g.container
			return in
		}
	}
	panic(fmt.Sprintf("suites: spec %q is not registered in container %q", id, g.container))
}
