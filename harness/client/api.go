package client

import (
	"context"
	"net/http"
)

// UserProfile is the backend's answer to GET /api/v1/user/profile.
type UserProfile struct {
	UserID string `json:"user_id"`
	Email  string `json:"email"`
}

// Thread is one chat thread.
type Thread struct {
	ID           string `json:"id"`
	Title        string `json:"title"`
	CreatedAt    string `json:"created_at"`
	MessageCount int    `json:"message_count"`
}

// Message is one message of a thread.
type Message struct {
	Role      string `json:"role"`
	Content   string `json:"content"`
	RunID     string `json:"run_id"`
	CreatedAt string `json:"created_at"`
}

// API is a client of the backend's REST API. Every call returns the raw
// Response too, so that checks can search it for other users' data.
type API struct {
	BaseURL string
	// HTTP sends the requests; it must have a timeout.
	HTTP *http.Client
	// Paths renames the backend's paths; the zero value is the reference.
	Paths Paths
}

// Get sends an authenticated GET to path and returns the raw answer.
func (a *API) Get(ctx context.Context, token, path string) (Response, error) {
	return do(ctx, a.HTTP, http.MethodGet, join(a.BaseURL, path), nil, token, nil)
}

// Profile returns the caller as the backend resolves it.
func (a *API) Profile(ctx context.Context, token string) (UserProfile, Response, error) {
	var p UserProfile
	path := a.Paths.withDefaults().Profile
	r, err := a.Get(ctx, token, path)
	if err != nil {
		return p, r, err
	}
	return p, r, decode(http.MethodGet, join(a.BaseURL, path), r, http.StatusOK, &p)
}

// CreateThread creates a thread owned by the caller.
func (a *API) CreateThread(ctx context.Context, token, title string) (Thread, Response, error) {
	var t Thread
	u := join(a.BaseURL, a.Paths.withDefaults().Threads)
	r, err := do(ctx, a.HTTP, http.MethodPost, u, map[string]string{"title": title}, token, nil)
	if err != nil {
		return t, r, err
	}
	return t, r, decode(http.MethodPost, u, r, http.StatusCreated, &t)
}

// Threads lists the caller's threads.
func (a *API) Threads(ctx context.Context, token string) ([]Thread, Response, error) {
	var body struct {
		Threads []Thread `json:"threads"`
	}
	path := a.Paths.withDefaults().Threads
	r, err := a.Get(ctx, token, path)
	if err != nil {
		return nil, r, err
	}
	return body.Threads, r, decode(http.MethodGet, join(a.BaseURL, path), r, http.StatusOK, &body)
}

// Messages lists a thread's messages.
func (a *API) Messages(ctx context.Context, token, threadID string) ([]Message, Response, error) {
	var body struct {
		Messages []Message `json:"messages"`
	}
	path := withID(a.Paths.withDefaults().Messages, threadID)
	r, err := a.Get(ctx, token, path)
	if err != nil {
		return nil, r, err
	}
	return body.Messages, r, decode(http.MethodGet, join(a.BaseURL, path), r, http.StatusOK, &body)
}

// Health checks GET /health answers 200.
func (a *API) Health(ctx context.Context) error {
	return health(ctx, a.HTTP, a.BaseURL)
}
