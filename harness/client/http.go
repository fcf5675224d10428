// Package client holds gpcheck's typed clients for the three services of a
// system under test: the auth service, the backend REST API and the
// WebSocket gateway. They speak the wire protocol of PROTOCOL.md and record
// what they saw; they judge nothing.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxBody bounds every response body gpcheck reads, so a misbehaving server
// cannot exhaust the harness's memory.
const maxBody = 4 << 20

// Response is a raw HTTP answer: its status and body. Checks look at the
// body for other users' data, so it is kept as received.
type Response struct {
	Status int
	Body   []byte
}

// StatusError reports an unexpected HTTP status.
type StatusError struct {
	Method, URL string
	Status      int
	// Code is the "error" field of a JSON error body, when there is one.
	Code string
}

func (e *StatusError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s %s: HTTP %d (%s)", e.Method, e.URL, e.Status, e.Code)
	}
	return fmt.Sprintf("%s %s: HTTP %d", e.Method, e.URL, e.Status)
}

// NewHTTPClient returns an http.Client with the given per-request timeout
// and a connection pool sized for many concurrent virtual users. roots,
// when not nil, are the CAs trusted for https and wss (staging deployments
// often use a private CA); nil means the system's.
func NewHTTPClient(timeout time.Duration, roots ...*x509.CertPool) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 1024
	tr.MaxIdleConnsPerHost = 1024
	if len(roots) > 0 && roots[0] != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: roots[0], MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Timeout: timeout, Transport: tr}
}

// do sends one request and reads the whole (bounded) answer. body, when not
// nil, is sent as JSON; token, when not empty, as a bearer token; header's
// fields are sent as they are (its values are not copied).
func do(ctx context.Context, hc *http.Client, method, url string, body any, token string, header http.Header) (Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return Response{}, fmt.Errorf("encode %s %s: %w", method, url, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return Response{}, fmt.Errorf("build %s %s: %w", method, url, err)
	}
	for k, vs := range header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if token != "" {
		req.Header["Authorization"] = []string{"Bearer " + token}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: %w", method, url, unwrapURLError(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return Response{Status: resp.StatusCode}, fmt.Errorf("read %s %s: %w", method, url, err)
	}
	return Response{Status: resp.StatusCode, Body: b}, nil
}

// decode parses r.Body into v when r has the wanted status, and otherwise
// returns a *StatusError.
func decode(method, url string, r Response, want int, v any) error {
	if r.Status != want {
		return &StatusError{Method: method, URL: url, Status: r.Status, Code: ErrorCode(r.Body)}
	}
	if v == nil {
		return nil
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("%s %s: invalid JSON answer: %w", method, url, err)
	}
	return nil
}

// ErrorCode returns the "error" field of a JSON body, or "".
func ErrorCode(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.Error
}

// DataCode returns the "code" field of a JSON object (an error frame's
// data), or "".
func DataCode(data []byte) string {
	var e struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(data, &e) != nil {
		return ""
	}
	return e.Code
}

func join(base, path string) string {
	return strings.TrimRight(base, "/") + path
}

// unwrapURLError drops the *url.Error wrapper, whose message repeats the
// method and URL we already give.
func unwrapURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}
