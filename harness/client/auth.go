package client

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// Session is what login, registration and the bypass endpoint return.
type Session struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	User         struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
	// Raw is the answer's body, for fields a profile renames.
	Raw []byte `json:"-"`
}

// Field returns the string at a dotted path ("user.id") of a JSON
// object, or "".
//
// Each level is read as a map of its keys to slices of raw (see alias),
// so the values it passes over (a login answer's tokens, say) are not
// copied.
func Field(raw []byte, path string) string {
	v := raw
	for _, k := range strings.Split(path, ".") {
		var m map[string]alias
		if json.Unmarshal(v, &m) != nil {
			return ""
		}
		if v = m[k]; v == nil {
			return ""
		}
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return ""
	}
	return s
}

// Verdict is the auth service's answer to /auth/validate. HasValid is
// false when the answer lacks a boolean "valid": such an answer says
// nothing about the token. ExpiresAt is kept as sent (unix seconds,
// milliseconds or an ISO-8601 string all occur), so that its type never
// makes an answer unreadable.
type Verdict struct {
	Valid       bool            `json:"valid"`
	HasValid    bool            `json:"-"`
	UserID      string          `json:"user_id"`
	Email       string          `json:"email"`
	Permissions []string        `json:"permissions"`
	ExpiresAt   json.RawMessage `json:"expires_at"`
	Error       string          `json:"error"`
	Message     string          `json:"message"`
}

// UnmarshalJSON reads a validate answer, noting whether it says "valid".
func (v *Verdict) UnmarshalJSON(b []byte) error {
	type plain Verdict
	var w struct {
		plain
		Valid *bool `json:"valid"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*v = Verdict(w.plain)
	v.HasValid = w.Valid != nil
	v.Valid = w.Valid != nil && *w.Valid
	return nil
}

// IsServiceCredentialCode reports whether an error code is an auth
// service refusing the caller's service credentials (not the token).
func IsServiceCredentialCode(code string) bool {
	c := strings.ToLower(code)
	return strings.Contains(c, "service") && (strings.Contains(c, "credential") || strings.Contains(c, "secret") ||
		strings.Contains(c, "id") || strings.Contains(c, "auth"))
}

// Auth is a client of the auth service.
type Auth struct {
	// BaseURL is the service's base URL, such as http://127.0.0.1:8081.
	BaseURL string
	// HTTP sends the requests; it must have a timeout.
	HTTP *http.Client
	// BypassKey is sent as X-E2E-Bypass-Key by TestAuth.
	BypassKey string
	// ServiceID and ServiceSecret, when set, are sent with Validate, for
	// auth services that demand service credentials.
	ServiceID, ServiceSecret string
	// ServiceIDHeader and ServiceSecretHeader name the headers they are
	// sent in; empty means X-Service-ID and X-Service-Secret.
	ServiceIDHeader, ServiceSecretHeader string
	// Statuses are the success statuses of each endpoint; the zero value
	// means DefaultStatuses.
	Statuses Statuses
	// ValidateUserIDField is the dotted path of the user id in validate's
	// answer; empty means "user_id".
	ValidateUserIDField string
	// Paths renames the service's paths; the zero value is the reference.
	Paths Paths
}

// Statuses are the HTTP statuses an auth service answers success with,
// per endpoint: platforms differ (a registration answered 200 or 201, a
// logout 200 or 204).
type Statuses struct {
	Register, Login, Refresh, Logout []int
}

// DefaultStatuses: register 200 or 201, login and refresh 200, logout
// 200 or 204.
func DefaultStatuses() Statuses {
	return Statuses{Register: []int{200, 201}, Login: []int{200}, Refresh: []int{200}, Logout: []int{200, 204}}
}

// statuses returns s with each empty list set to its default.
func (s Statuses) withDefaults() Statuses {
	d := DefaultStatuses()
	if len(s.Register) == 0 {
		s.Register = d.Register
	}
	if len(s.Login) == 0 {
		s.Login = d.Login
	}
	if len(s.Refresh) == 0 {
		s.Refresh = d.Refresh
	}
	if len(s.Logout) == 0 {
		s.Logout = d.Logout
	}
	return s
}

// expect is the status decode wants of r: its own when it is one of ok,
// else the first of ok (so that decode reports r's status as unexpected).
func expect(r Response, ok []int) int {
	if slices.Contains(ok, r.Status) {
		return r.Status
	}
	return ok[0]
}

// Register creates a user and returns its first session.
func (a *Auth) Register(ctx context.Context, email, password, name string) (Session, error) {
	var s Session
	u := join(a.BaseURL, a.Paths.withDefaults().Register)
	r, err := do(ctx, a.HTTP, http.MethodPost, u, map[string]string{"email": email, "password": password, "name": name}, "", nil)
	if err != nil {
		return s, err
	}
	s.Raw = r.Body
	return s, decode(http.MethodPost, u, r, expect(r, a.Statuses.withDefaults().Register), &s)
}

// Login exchanges credentials for a session.
func (a *Auth) Login(ctx context.Context, email, password string) (Session, error) {
	var s Session
	u := join(a.BaseURL, a.Paths.withDefaults().Login)
	r, err := do(ctx, a.HTTP, http.MethodPost, u, map[string]string{"email": email, "password": password}, "", nil)
	if err != nil {
		return s, err
	}
	s.Raw = r.Body
	return s, decode(http.MethodPost, u, r, expect(r, a.Statuses.withDefaults().Login), &s)
}

// TestAuth obtains a session through the e2e bypass endpoint, creating the
// user when needed.
func (a *Auth) TestAuth(ctx context.Context, email, name string) (Session, error) {
	var s Session
	u := join(a.BaseURL, a.Paths.withDefaults().TestAuth)
	r, err := do(ctx, a.HTTP, http.MethodPost, u, map[string]string{"email": email, "name": name}, "",
		http.Header{"X-E2E-Bypass-Key": {a.BypassKey}})
	if err != nil {
		return s, err
	}
	s.Raw = r.Body
	return s, decode(http.MethodPost, u, r, http.StatusOK, &s)
}

// Validate asks the auth service what token means, as an access token. The
// auth service is the single source of truth: its verdict is the reference
// every other path is compared with.
func (a *Auth) Validate(ctx context.Context, token string) (Verdict, error) {
	var v Verdict
	u := join(a.BaseURL, a.Paths.withDefaults().Validate)
	var h http.Header
	if a.ServiceID != "" {
		idH, secretH := a.ServiceIDHeader, a.ServiceSecretHeader
		if idH == "" {
			idH = "X-Service-ID"
		}
		if secretH == "" {
			secretH = "X-Service-Secret"
		}
		h = http.Header{}
		h.Set(idH, a.ServiceID)
		h.Set(secretH, a.ServiceSecret)
	}
	r, err := do(ctx, a.HTTP, http.MethodPost, u, map[string]string{"token": token, "token_type": "access"}, "", h)
	if err != nil {
		return v, err
	}
	if err := decode(http.MethodPost, u, r, http.StatusOK, &v); err != nil {
		return v, err
	}
	if f := a.ValidateUserIDField; f != "" && f != "user_id" {
		v.UserID = Field(r.Body, f)
	}
	return v, nil
}

// Refresh exchanges a refresh token for a new pair.
func (a *Auth) Refresh(ctx context.Context, refreshToken string) (Session, error) {
	var s Session
	u := join(a.BaseURL, a.Paths.withDefaults().Refresh)
	r, err := do(ctx, a.HTTP, http.MethodPost, u, map[string]string{"refresh_token": refreshToken}, "", nil)
	if err != nil {
		return s, err
	}
	s.Raw = r.Body
	return s, decode(http.MethodPost, u, r, expect(r, a.Statuses.withDefaults().Refresh), &s)
}

// Logout revokes the access token and the refresh token issued with it.
func (a *Auth) Logout(ctx context.Context, accessToken string) error {
	u := join(a.BaseURL, a.Paths.withDefaults().Logout)
	r, err := do(ctx, a.HTTP, http.MethodPost, u, nil, accessToken, nil)
	if err != nil {
		return err
	}
	return decode(http.MethodPost, u, r, expect(r, a.Statuses.withDefaults().Logout), nil)
}

// Health checks GET /health answers 200.
func (a *Auth) Health(ctx context.Context) error {
	return health(ctx, a.HTTP, a.BaseURL)
}

func health(ctx context.Context, hc *http.Client, base string) error {
	u := join(base, "/health")
	r, err := do(ctx, hc, http.MethodGet, u, nil, "", nil)
	if err != nil {
		return err
	}
	return decode(http.MethodGet, u, r, http.StatusOK, nil)
}
