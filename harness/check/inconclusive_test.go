package check

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/tokens"
	"github.com/gpcheck/gpcheck/reports"
)

// answer is one canned HTTP answer of a broken or unusual service.
type answer struct {
	status int
	body   string
	delay  time.Duration
}

// envAnswering returns an env whose auth service and backend both give a.
func envAnswering(t *testing.T, a answer) *harness.Env {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.delay > 0 {
			select {
			case <-time.After(a.delay):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	t.Cleanup(srv.Close)
	env, err := harness.NewEnv(harness.Target{AuthURL: srv.URL, BackendURL: srv.URL, WSURL: "ws" + srv.URL[4:] + "/ws",
		RequestTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// TestBrokenAnswersAreInconclusive feeds every kind of broken answer to
// the validate and backend clients: none may be read as accept or reject.
func TestBrokenAnswersAreInconclusive(t *testing.T) {
	const (
		accept = "accept"
		reject = "reject"
		unsure = "inconclusive"
	)
	validate := []struct {
		name string
		a    answer
		want string
	}{
		{"valid, expires_at as ISO-8601", answer{200, `{"valid":true,"user_id":"u1","expires_at":"2026-11-29T10:00:00"}`, 0}, accept},
		{"valid, expires_at in ms", answer{200, `{"valid":true,"user_id":"u1","expires_at":1795000000000}`, 0}, accept},
		{"valid false", answer{200, `{"valid":false,"error":"token_expired"}`, 0}, reject},
		{"401 invalid_token", answer{401, `{"error":"invalid_token"}`, 0}, reject},
		{"401 missing service credentials", answer{401, `{"error":"missing_service_credentials"}`, 0}, unsure},
		{"403 invalid service id", answer{403, `{"error":"invalid_service_id"}`, 0}, unsure},
		{"404", answer{404, `{"error":"not_found"}`, 0}, unsure},
		{"405", answer{405, ``, 0}, unsure},
		{"500", answer{500, `oops`, 0}, unsure},
		{"200 not JSON", answer{200, `<html>`, 0}, unsure},
		{"200 without valid", answer{200, `{"user_id":"u1"}`, 0}, unsure},
		{"200 valid as a string", answer{200, `{"valid":"true"}`, 0}, unsure},
		{"timeout", answer{200, `{"valid":true}`, 2 * time.Second}, unsure},
	}
	for _, tt := range validate {
		t.Run("validate/"+tt.name, func(t *testing.T) {
			env := envAnswering(t, tt.a)
			c := probe(context.Background(), env, PathAuth, "t")
			if got := cellOutcome(c); got != tt.want {
				t.Errorf("cell %s, want %s", c, tt.want)
			}
		})
	}
	rest := []struct {
		name string
		a    answer
		want string
	}{
		{"200 profile", answer{200, `{"user_id":"u1"}`, 0}, accept},
		{"401", answer{401, `{"error":"unauthorized"}`, 0}, reject},
		{"403", answer{403, ``, 0}, reject},
		{"404", answer{404, ``, 0}, unsure},
		{"502", answer{502, ``, 0}, unsure},
		{"200 not JSON", answer{200, `nope`, 0}, unsure},
		{"timeout", answer{200, `{}`, 2 * time.Second}, unsure},
	}
	for _, tt := range rest {
		t.Run("backend/"+tt.name, func(t *testing.T) {
			env := envAnswering(t, tt.a)
			c := probe(context.Background(), env, PathProfile, "t")
			if got := cellOutcome(c); got != tt.want {
				t.Errorf("cell %s, want %s", c, tt.want)
			}
		})
	}
	t.Run("validate/refused connection", func(t *testing.T) {
		env := envAnswering(t, answer{200, `{"valid":true}`, 0})
		env.Auth.BaseURL = "http://127.0.0.1:1"
		if c := probe(context.Background(), env, PathAuth, "t"); cellOutcome(c) != unsure {
			t.Errorf("cell %s, want inconclusive", c)
		}
	})
}

func cellOutcome(c Cell) string {
	switch {
	case c.Inconclusive:
		return "inconclusive"
	case c.Accept:
		return "accept"
	}
	return "reject"
}

// TestMatrixNeverJudgesOnInconclusive: a row whose auth cell is
// inconclusive yields no violation, and an inconclusive path cell is
// reported as not judged rather than as a mismatch.
func TestMatrixNeverJudgesOnInconclusive(t *testing.T) {
	mustReject := tokens.Case{ID: "T99", Name: "alg none", Want: tokens.Reject}
	cells := map[string]Cell{PathAuth: inconclusive("HTTP 404")}
	for _, p := range MatrixPaths()[1:] {
		cells[p] = Cell{Accept: true, User: "u1"}
	}
	fs := judgeRow(mustReject, cells, "u1", "u2", tokens.Policy{})
	if len(fs) != 1 || fs[0].Kind != reports.KindInconclusive {
		t.Errorf("inconclusive auth cell: %+v", fs)
	}
	cells = map[string]Cell{PathAuth: rejected("invalid_token")}
	for _, p := range MatrixPaths()[1:] {
		cells[p] = rejected("HTTP 401")
	}
	cells[PathProfile] = inconclusive("HTTP 404")
	fs = judgeRow(mustReject, cells, "u1", "u2", tokens.Policy{})
	if len(fs) != 1 || fs[0].Kind != reports.KindInconclusive || fs[0].Path != PathProfile {
		t.Errorf("inconclusive path cell: %+v", fs)
	}
	cells[PathProfile] = Cell{Accept: true, User: "u1"}
	fs = judgeRow(mustReject, cells, "u1", "u2", tokens.Policy{})
	if len(fs) != 1 || fs[0].Kind != reports.KindTokenVerdict || fs[0].Severity != reports.SeverityCritical {
		t.Errorf("a path accepting alg none: %+v", fs)
	}
}
