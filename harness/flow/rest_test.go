package flow

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gpcheck/gpcheck/harness/client"
)

// TestAddRESTKeepsValuesNotAnswers: a thread's history answers repeat the
// thread, so the values kept grow with the thread, not with its square.
func TestAddRESTKeepsValuesNotAnswers(t *testing.T) {
	r := &Result{}
	route := "GET /api/threads/{id}/messages"
	var msgs []string
	for k := 0; k < 50; k++ {
		msgs = append(msgs, fmt.Sprintf(`{"id":"msg_%03d","content":"Hello agent, please remember gpc-tag-u0001-m%d-0000abcd. %s"}`, k, k, strings.Repeat("x", 300)))
		r.AddREST(route, client.Response{Status: 200, Body: []byte(`{"thread_id":"th_1","messages":[` + strings.Join(msgs, ",") + `]}`)})
	}
	r.AddREST("GET /x", client.Response{Status: 502, Body: []byte("bad gateway gpc-tag-u0002-m0-0000beef")})
	if len(r.REST) != 2 {
		t.Errorf("%d answers kept, want the latest of each of 2 routes", len(r.REST))
	}
	// th_1, 50 message ids and 50 canaries cut out of the long contents,
	// and the canary of the answer that is not JSON.
	if len(r.RESTValues) != 1+50+50+1 {
		t.Errorf("%d values kept, want 102", len(r.RESTValues))
	}
	for _, v := range []string{"th_1", "msg_049", "gpc-tag-u0001-m49-0000abcd", "gpc-tag-u0002-m0-0000beef"} {
		if _, ok := r.RESTValues[v]; !ok {
			t.Errorf("value %q not kept", v)
		}
	}
	if s := r.RESTValues["msg_000"]; s.Route != route || s.At.IsZero() {
		t.Errorf("msg_000 seen %+v", s)
	}
}
