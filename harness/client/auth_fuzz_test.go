package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gpcheck/gpcheck/harness/client"
)

// validateAnswer is what the fuzz auth service answers one request with.
type validateAnswer struct {
	status int
	body   []byte
}

// fuzzStatus maps a fuzzed number onto a status net/http lets a handler
// write (100..999).
func fuzzStatus(n uint16) int { return 100 + int(n)%900 }

// FuzzAuthValidate answers /auth/validate from a hostile auth service with
// a fuzzed status and body. Properties:
//   - Validate returns before its context's deadline (plus slack): it never
//     hangs, whatever the server sends;
//   - an answer that is not HTTP 200 with a JSON body never yields
//     err == nil && v.Valid (the harness never takes a broken answer for
//     "this token is valid");
//   - err == nil only for a 200 whose body is valid JSON, and then the
//     verdict is exactly that body decoded;
//   - a final status other than 200 is a *client.StatusError carrying that
//     status and the body's "error" code.
func FuzzAuthValidate(f *testing.F) {
	var (
		answers sync.Map // token -> validateAnswer
		seq     atomic.Uint64
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Token string `json:"token"`
		}
		if r.URL.Path != "/auth/validate" || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, "bad fuzz request", http.StatusTeapot)
			return
		}
		v, ok := answers.Load(req.Token)
		if !ok {
			http.Error(w, "unknown fuzz token", http.StatusTeapot)
			return
		}
		a := v.(validateAnswer)
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
	}))
	f.Cleanup(srv.Close)
	auth := &client.Auth{BaseURL: srv.URL, HTTP: client.NewHTTPClient(5 * time.Second)}

	for _, s := range []struct {
		status int
		body   string
	}{
		{200, `{"valid":true,"user_id":"u-1","email":"a@example.com","permissions":["chat"],"expires_at":1700000000}`},
		{200, `{"valid":false,"error":"token_expired","message":"token has expired"}`},
		{200, `{"valid":"true"}`},
		{200, `{"valid":true`},
		{200, `{"valid":true}garbage`},
		{200, `[{"valid":true}]`},
		{200, `null`},
		{200, ``},
		{200, `{"VALID":true,"valid":false}`},
		{201, `{"valid":true}`},
		{204, `{"valid":true}`},
		{301, `{"valid":true}`},
		{401, `{"valid":true,"error":"invalid_token"}`},
		{403, `{"error":"forbidden"}`},
		{500, `{"valid":true}`},
		{503, `<html>unavailable</html>`},
		{103, `{"valid":true}`},
		{101, `{"valid":true}`},
		{999, `{"valid":true}`},
	} {
		f.Add(uint16(s.status-100), []byte(s.body))
	}

	f.Fuzz(func(t *testing.T, n uint16, body []byte) {
		if len(body) > maxFuzzFrame {
			t.Skip("body over 64 KiB: this target keeps each input small so that it runs in milliseconds; inputs up to 64 KiB run in make test (seed corpus) and make fuzz")
		}
		status := fuzzStatus(n)
		token := strconv.FormatUint(seq.Add(1), 10)
		answers.Store(token, validateAnswer{status: status, body: body})
		defer answers.Delete(token)

		const limit = 2 * time.Second
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		type result struct {
			v   client.Verdict
			err error
		}
		done := make(chan result, 1)
		go func() {
			v, err := auth.Validate(ctx, token)
			done <- result{v, err}
		}()
		var v client.Verdict
		var err error
		select {
		case r := <-done:
			v, err = r.v, r.err
		case <-time.After(limit + 2*time.Second):
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("Validate hangs past its %v deadline (status %d, body %q)\n%s", limit, status, body, buf)
		}

		// What the client sees: a 1xx other than 101 is informational and
		// the body write makes the final status 200; 204 and 304 carry no
		// body.
		final, seen := status, body
		if status >= 100 && status < 200 && status != http.StatusSwitchingProtocols {
			final = http.StatusOK
		}
		if final == http.StatusNoContent || final == http.StatusNotModified {
			seen = nil
		}
		answerOK := final == http.StatusOK && json.Valid(seen)
		if err == nil && v.Valid && !answerOK {
			t.Fatalf("HTTP %d (sent %d) with body %q yielded a valid verdict %+v", final, status, seen, v)
		}
		if err == nil {
			if !answerOK {
				t.Fatalf("HTTP %d (sent %d) with body %q accepted: %+v", final, status, seen, v)
			}
			var want client.Verdict
			if e := json.Unmarshal(seen, &want); e != nil {
				t.Fatalf("accepted body %q that does not decode as a verdict: %v", seen, e)
			}
			if !reflect.DeepEqual(v, want) {
				t.Fatalf("verdict %+v, body decodes to %+v", v, want)
			}
		}
		if final != http.StatusOK && final != http.StatusSwitchingProtocols {
			var se *client.StatusError
			if !errors.As(err, &se) {
				t.Fatalf("HTTP %d: err %v, want a *client.StatusError", final, err)
			}
			if se.Status != final || se.Code != client.ErrorCode(seen) {
				t.Fatalf("HTTP %d body %q: StatusError{Status: %d, Code: %q}, want code %q",
					final, seen, se.Status, se.Code, client.ErrorCode(seen))
			}
		}
	})
}

// FuzzErrorCode checks ErrorCode on arbitrary bodies: a code comes only
// from valid JSON, and when the body is an object whose only key spelled
// like "error" (in any case) is exactly "error" with a string value,
// ErrorCode returns that value, as Field(body, "error") does.
func FuzzErrorCode(f *testing.F) {
	for _, s := range []string{
		`{"error":"invalid_token","message":"signature is invalid"}`,
		`{"error":"token_expired"}`,
		`{"error":""}`,
		`{"error":5}`,
		`{"error":null}`,
		`{"Error":"x"}`,
		`{"error":"a","ERROR":"b"}`,
		`{"error":5,"error":"x"}`,
		`{"error":"\u00e9\ud800"}`,
		`["error"]`,
		`"error"`,
		`{"error":"x"} trailing`,
		`<html>502 Bad Gateway</html>`,
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		code := client.ErrorCode(body)
		if code != "" && !json.Valid(body) {
			t.Fatalf("ErrorCode(%q) = %q from a body that is not JSON", body, code)
		}
		keys, ok := topLevelKeys(body)
		if !ok {
			return
		}
		n, exact := 0, false
		for _, k := range keys {
			if strings.EqualFold(k, "error") {
				n++
				exact = exact || k == "error"
			}
		}
		var m map[string]any
		if n != 1 || !exact || json.Unmarshal(body, &m) != nil {
			return
		}
		s, isString := m["error"].(string)
		if !isString {
			return
		}
		if code != s {
			t.Fatalf("ErrorCode(%q) = %q, want %q", body, code, s)
		}
		if fc := client.Field(body, "error"); fc != s {
			t.Fatalf("Field(%q, \"error\") = %q, ErrorCode = %q", body, fc, code)
		}
	})
}

// topLevelKeys returns the keys of a JSON object, in order and with
// duplicates, or false when b is not one valid JSON object.
func topLevelKeys(b []byte) ([]string, bool) {
	if !json.Valid(b) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		k, _ := tok.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return nil, false
		}
	}
	return keys, true
}

// FuzzField checks Field on arbitrary JSON and dotted paths:
//   - a result comes only from valid JSON;
//   - Field composes: Field(raw, "a.rest") == Field(raw["a"], "rest");
//   - a value put at path by nesting objects is read back.
func FuzzField(f *testing.F) {
	for _, s := range []struct{ raw, path, val string }{
		{`{"access_token":"eyJ.x.y","user":{"id":"u-1","email":"a@example.com"}}`, "user.id", "u-1"},
		{`{"data":{"user":{"id":"u-2"}}}`, "data.user.id", "x"},
		{`{"user":{"id":7}}`, "user.id", "7"},
		{`{"user":["id"]}`, "user.id", ""},
		{`{"":{"":"empty keys"}}`, ".", "v"},
		{`{"a.b":"dotted key"}`, "a.b", "v"},
		{`{"user":{"id":"u-1"}}`, "", ""},
		{`{"user":null}`, "user.id", "v"},
		{`not json`, "user.id", "v"},
	} {
		f.Add([]byte(s.raw), s.path, s.val)
	}
	f.Fuzz(func(t *testing.T, raw []byte, path, val string) {
		got := client.Field(raw, path)
		if got != "" && !json.Valid(raw) {
			t.Fatalf("Field(%q, %q) = %q from a body that is not JSON", raw, path, got)
		}
		var m map[string]any
		if first, rest, ok := strings.Cut(path, "."); ok && json.Unmarshal(raw, &m) == nil {
			sub, err := json.Marshal(m[first])
			if err != nil {
				t.Fatalf("re-encode %q: %v", first, err)
			}
			if want := client.Field(sub, rest); got != want {
				t.Fatalf("Field(%q, %q) = %q but Field(%s, %q) = %q", raw, path, got, sub, rest, want)
			}
		}
		if !utf8.ValidString(path) || !utf8.ValidString(val) {
			return
		}
		var v any = val
		segs := strings.Split(path, ".")
		for i := len(segs) - 1; i >= 0; i-- {
			v = map[string]any{segs[i]: v}
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if got := client.Field(b, path); got != val {
			t.Fatalf("Field(%s, %q) = %q, want %q", b, path, got, val)
		}
	})
}
