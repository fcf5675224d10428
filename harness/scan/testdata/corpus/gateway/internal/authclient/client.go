// Package authclient is the sanctioned path: the auth service validates.
package authclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Client calls the auth service.
type Client struct {
	BaseURL string
	HTTP    *http.Client
}

// ValidateToken asks the auth service whether a token is valid.
func (c *Client) ValidateToken(ctx context.Context, token string) (map[string]any, error) { // ok
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/auth/validate", strings.NewReader(`{"token":"`+token+`"}`))
	if err != nil {
		return nil, err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("auth service: %s", resp.Status)
	}
	var claims map[string]any
	return claims, json.NewDecoder(resp.Body).Decode(&claims)
}
