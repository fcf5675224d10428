package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestSuccessStatuses: each endpoint's success statuses come from
// Statuses (defaults: register 200 or 201, logout 200 or 204); any other
// status is a *StatusError.
func TestSuccessStatuses(t *testing.T) {
	const session = `{"access_token":"a","refresh_token":"r","user":{"id":"u"}}`
	tests := []struct {
		name     string
		status   int
		statuses Statuses
		call     func(context.Context, *Auth) error
		ok       bool
	}{
		{"register 201", 201, Statuses{}, register, true},
		{"register 200", 200, Statuses{}, register, true},
		{"register 202 by default", 202, Statuses{}, register, false},
		{"register 202 declared", 202, Statuses{Register: []int{202}}, register, true},
		{"register 201 when only 200 is declared", 201, Statuses{Register: []int{200}}, register, false},
		{"logout 204", 204, Statuses{}, logout, true},
		{"logout 202", 202, Statuses{}, logout, false},
		{"login 201 declared", 201, Statuses{Login: []int{201}}, login, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				if tt.status != http.StatusNoContent {
					_, _ = w.Write([]byte(session))
				}
			}))
			defer srv.Close()
			a := &Auth{BaseURL: srv.URL, HTTP: NewHTTPClient(5 * time.Second), Statuses: tt.statuses}
			err := tt.call(context.Background(), a)
			if (err == nil) != tt.ok {
				t.Errorf("err %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func register(ctx context.Context, a *Auth) error {
	_, err := a.Register(ctx, "a@x.test", "pw", "A")
	return err
}

func login(ctx context.Context, a *Auth) error {
	_, err := a.Login(ctx, "a@x.test", "pw")
	return err
}

func logout(ctx context.Context, a *Auth) error { return a.Logout(ctx, "t") }

// TestValidateUserIDField: the user id is read at the profile's path.
func TestValidateUserIDField(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"valid":true,"user":{"id":"u9"},"expires_at":"2026-11-29T10:00:00"}`))
	}))
	defer srv.Close()
	for field, want := range map[string]string{"": "", "user_id": "", "user.id": "u9"} {
		a := &Auth{BaseURL: srv.URL, HTTP: NewHTTPClient(5 * time.Second), ValidateUserIDField: field}
		v, err := a.Validate(context.Background(), "t")
		if err != nil || !v.Valid || v.UserID != want {
			t.Errorf("field %q: %+v, %v; want valid as %q", field, v, err, want)
		}
	}
}
