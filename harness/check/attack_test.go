package check

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/profile"
	"github.com/gpcheck/gpcheck/reports"
)

func TestNormalizeAnswer(t *testing.T) {
	tests := []struct {
		name       string
		status1    int
		body1, id1 string
		status2    int
		body2, id2 string
		same       bool
	}{
		{"same 404, ids differ", 404, `{"error":"not_found","message":"thread th_1 not found"}`, "th_1",
			404, `{"message":"thread th_2 not found","error":"not_found"}`, "th_2", true},
		{"volatile fields ignored", 404, `{"error":"not_found","request_id":"r1","timestamp":1}`, "a",
			404, `{"error":"not_found","request_id":"r2","timestamp":2}`, "b", true},
		{"status differs", 403, `{"error":"not_found"}`, "a", 404, `{"error":"not_found"}`, "b", false},
		{"body differs", 404, `{"error":"forbidden"}`, "a", 404, `{"error":"not_found"}`, "b", false},
		{"a thread instead of 404", 200, `{"id":"th_1","title":"secret"}`, "th_1", 404, `{"error":"not_found"}`, "th_2", false},
		{"plain text", 404, "no thread th_1\n", "th_1", 404, "no thread th_2", "th_2", true},
		{"escaped id", 404, `{"path":"/t/a%2Fb"}`, "a/b", 404, `{"path":"/t/c%2Fd"}`, "c/d", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := normalizeAnswer(tt.status1, []byte(tt.body1), tt.id1), normalizeAnswer(tt.status2, []byte(tt.body2), tt.id2)
			if (a == b) != tt.same {
				t.Errorf("NormalizeAnswer: %q vs %q, want same=%v", a, b, tt.same)
			}
		})
	}
}

func TestNeighbour(t *testing.T) {
	for _, id := range []string{"th_0123456789abcdef", "0198c2a4-1b2c-7d3e-8f40-123456789abc", "T42", "x"} {
		t.Run(id, func(t *testing.T) {
			seen := map[string]bool{}
			for range 20 {
				n := neighbour(id)
				if n == id || len(n) != len(id) {
					t.Fatalf("neighbour(%q) = %q: want another id of the same length", id, n)
				}
				seen[n] = true
			}
			if len(id) > 4 && len(seen) < 15 {
				t.Errorf("neighbour(%q) gave only %d distinct ids in 20 tries", id, len(seen))
			}
		})
	}
	if n := neighbour("th_0123456789abcdef"); !strings.HasPrefix(n, "th_") {
		t.Errorf("neighbour kept no prefix: %q", n)
	}
	if n := neighbour("0198c2a4-1b2c-7d3e-8f40-123456789abc"); !strings.HasPrefix(n, "0198c2a4-1b2c-7d3e-8f40-") {
		t.Errorf("neighbour of a UUID changed more than its last group: %q", n)
	}
}

func TestOriginCases(t *testing.T) {
	cs, err := originCases("http://localhost:3000")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"http://localhost:3000": true, "": true,
		"http://localhost:3000.evil.test": false, "http://evil-localhost:3000": false,
		"https://localhost:3000": false, "http://localhost:3001": false, "null": false, "localhost:3000": false,
		"http://localhost:3000@evil.test": false, "http://gpcheck-evil.test": false,
	}
	if len(cs) != len(want) {
		t.Errorf("%d cases, want %d", len(cs), len(want))
	}
	for _, c := range cs {
		allowed, ok := want[c.Origin]
		if !ok || allowed != c.Allowed {
			t.Errorf("case %q (%s): allowed=%v, want present with %v", c.Origin, c.Name, c.Allowed, allowed)
		}
	}
	bare, err := originCases("")
	if err != nil || len(bare) != 4 {
		t.Fatalf("with no allowed Origin: %v, %v", bare, err)
	}
	for _, c := range bare {
		if c.Origin != "" && (c.Allowed || strings.Contains(c.Origin, "localhost")) {
			t.Errorf("with no allowed Origin, case %+v", c)
		}
	}
	https, err := originCases("https://app.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range https {
		if c.Name == "same host, other scheme" && c.Origin != "http://app.example" {
			t.Errorf("other scheme of https: %q", c.Origin)
		}
		if c.Name == "same host, other port" && c.Origin != "https://app.example:444" {
			t.Errorf("other port of https: %q", c.Origin)
		}
	}
	for _, bad := range []string{"localhost", "://x"} { // "" is no allowed Origin: the bare cases
		if _, err := originCases(bad); err == nil {
			t.Errorf("OriginCases(%q) accepted a non-origin", bad)
		}
	}
}

func TestJudgeOrigin(t *testing.T) {
	allowed := originCase{Name: "the allowed Origin", Origin: "http://a", Allowed: true}
	foreign := originCase{Name: "a foreign site", Origin: "http://evil"}
	tests := []struct {
		c    originCase
		got  dialResult
		want reports.Kind // finding kind, "" for none
	}{
		{allowed, dialResult{upgraded: true, status: 101}, ""},
		{allowed, dialResult{status: 403}, reports.KindTokenVerdict},
		{foreign, dialResult{status: 403, code: "origin_not_allowed"}, ""},
		{foreign, dialResult{upgraded: true, status: 101}, reports.KindOriginAccepted},
		{foreign, dialResult{status: 401}, reports.KindProtocol},
	}
	for _, tt := range tests {
		f := judgeOrigin(tt.c, tt.got)
		switch {
		case tt.want == "" && f != nil:
			t.Errorf("%s %v: finding %s, want none", tt.c.Name, tt.got, f.Detail)
		case tt.want != "" && (f == nil || f.Kind != tt.want):
			t.Errorf("%s %v: %v, want %s", tt.c.Name, tt.got, f, tt.want)
		}
	}
}

func TestJudgeSubprotocol(t *testing.T) {
	offered := []string{"jwt-auth", "jwt.<token>", "gpcheck.v1"}
	tests := []struct {
		got  dialResult
		want reports.Kind
	}{
		{dialResult{upgraded: true, status: 101, subprotocol: "jwt-auth"}, ""},
		{dialResult{upgraded: true, status: 101}, ""},
		{dialResult{upgraded: true, status: 101, subprotocol: "jwt.ZXlK"}, reports.KindProtocol},
		{dialResult{upgraded: true, status: 101, subprotocol: "chat"}, reports.KindProtocol},
		{dialResult{upgraded: true, status: 101, err: "unexpected Sec-WebSocket-Protocol"}, reports.KindProtocol},
		{dialResult{status: 401}, reports.KindTokenVerdict},
	}
	for _, tt := range tests {
		f := judgeSubprotocol("case", offered, tt.got)
		switch {
		case tt.want == "" && f != nil:
			t.Errorf("%+v: finding %s, want none", tt.got, f.Detail)
		case tt.want != "" && (f == nil || f.Kind != tt.want):
			t.Errorf("%+v: %v, want %s", tt.got, f, tt.want)
		}
	}
}

func TestJudgeAgainstAuth(t *testing.T) {
	acceptA := Cell{Accept: true, User: "A"}
	reject := Cell{Code: "invalid_signature"}
	tests := []struct {
		name  string
		cells map[string]Cell
		paths []string // paths with a finding
	}{
		{"all reject", map[string]Cell{PathAuth: reject, PathProfile: reject, PathWSHeader: reject}, nil},
		{"cached accept", map[string]Cell{PathAuth: reject, PathProfile: acceptA, PathThreads: {Accept: true}}, []string{PathProfile, PathThreads}},
		{"cached user", map[string]Cell{PathAuth: {Accept: true, User: "B"}, PathProfile: acceptA, PathThreads: {Accept: true}}, []string{PathProfile}},
		{"refused valid", map[string]Cell{PathAuth: acceptA, PathWSMessage: {Code: "close 1008"}}, []string{PathWSMessage}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := judgeAgainstAuth(tt.name, tt.cells)
			var got []string
			for _, f := range fs {
				if f.Kind != reports.KindOrderDependent {
					t.Errorf("kind %s, want %s", f.Kind, reports.KindOrderDependent)
				}
				got = append(got, f.Path)
			}
			if strings.Join(got, ",") != strings.Join(tt.paths, ",") {
				t.Errorf("findings on %v, want %v", got, tt.paths)
			}
		})
	}
}

func TestTokenSurgery(t *testing.T) {
	const tok = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIiwiZXhwIjoxMDB9.c2lnbmF0dXJlLW9mLWEtdG9rZW4tMDEyMzQ1Njc4OQ"
	broken, err := breakSignature(tok)
	if err != nil || broken == tok || len(broken) != len(tok) || sharedPrefix(broken, tok) < strings.LastIndexByte(tok, '.') {
		t.Errorf("breakSignature: %q, %v", broken, err)
	}
	swapped, err := swapSignature(tok, "x.y.OTHER")
	if err != nil || !strings.HasSuffix(swapped, ".OTHER") || !strings.HasPrefix(swapped, tok[:strings.LastIndexByte(tok, '.')]) {
		t.Errorf("swapSignature: %q, %v", swapped, err)
	}
	shifted, err := shiftExp(tok)
	if err != nil || shifted == tok || !strings.HasSuffix(shifted, tok[strings.LastIndexByte(tok, '.'):]) {
		t.Errorf("shiftExp: %q, %v", shifted, err)
	}
	if _, err := breakSignature("nodots"); err == nil {
		t.Error("breakSignature accepted a token without a signature")
	}
	if got := sharedPrefix("abcdef", "abcxyz"); got != 3 {
		t.Errorf("SharedPrefix = %d, want 3", got)
	}
}

func TestNormalizeRun(t *testing.T) {
	ev := profile.Default().Events
	frame := func(typ string, data any) client.Frame {
		b, _ := json.Marshal(data)
		return client.Frame{Type: typ, Data: b}
	}
	missing := normalizeRun(ev, []client.Frame{frame("agent_error", map[string]string{"error_message": "the agent backend refused the run (404 not_found) for th_2"})}, "th_2")
	foreign := normalizeRun(ev, []client.Frame{frame("agent_error", map[string]string{"error_message": "the agent backend refused the run (404 not_found) for th_1"})}, "th_1")
	ran := normalizeRun(ev, []client.Frame{frame("agent_started", nil), frame("agent_completed", nil)}, "th_1")
	if missing != foreign {
		t.Errorf("same refusal normalises differently: %q vs %q", missing, foreign)
	}
	if ran == missing {
		t.Errorf("a run normalises like a refusal: %q", ran)
	}
}

func TestHitLog(t *testing.T) {
	h := &hitLog{}
	rec := &discardWriter{header: http.Header{}}
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/jku/jwks.json", nil)
	h.ServeHTTP(rec, req)
	if l := h.list(); len(l) != 1 || l[0].path != "/jku/jwks.json" || rec.status != http.StatusNotFound {
		t.Errorf("hits %v, status %d", l, rec.status)
	}
}

type discardWriter struct {
	header http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(code int)        { d.status = code }
