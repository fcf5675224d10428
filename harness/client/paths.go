package client

import (
	"net/url"
	"strings"
)

// Paths are the HTTP paths the clients call. The zero value of a field
// means the reference protocol's path; {id} stands for a thread id.
type Paths struct {
	Register, Login, Validate, Refresh, Logout, TestAuth string
	Profile, Threads, Messages                           string
}

// withDefaults fills empty fields with the reference paths.
func (p Paths) withDefaults() Paths {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&p.Register, "/auth/register")
	def(&p.Login, "/auth/login")
	def(&p.Validate, "/auth/validate")
	def(&p.Refresh, "/auth/refresh")
	def(&p.Logout, "/auth/logout")
	def(&p.TestAuth, "/auth/e2e/test-auth")
	def(&p.Profile, "/api/v1/user/profile")
	def(&p.Threads, "/api/threads")
	def(&p.Messages, "/api/threads/{id}/messages")
	return p
}

// withID puts an escaped thread id into a path's {id}.
func withID(path, id string) string {
	return strings.ReplaceAll(path, "{id}", url.PathEscape(id))
}
