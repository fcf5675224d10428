package profile

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzParse feeds arbitrary YAML to Parse. Properties:
//   - it never panics;
//   - anything it accepts passes Validate;
//   - anything it accepts survives `gpcheck profile show`: its YAML()
//     parses back to the same profile.
func FuzzParse(f *testing.F) {
	def, err := Default().YAML()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	for _, s := range []string{
		"",
		"name: staging\n",
		"name: acme\npaths:\n  login: /v2/auth/login\n  thread: /v2/threads/{id}\n  messages: /v2/threads/{id}/messages\n  ws: /socket\nlogin_user_id_field: data.user.id\nws_auth: subprotocol\nusers: bypass\n",
		"events:\n  agent_started: run.started\n  agent_completed: run.done\nsla:\n  connect: 500ms\n  first_event: 1m\n  total: 2h\n",
		"sla:\n  connect: 0s\n",
		"sla:\n  connect: -1s\n",
		"sla:\n  connect: ~\n",
		"sla: ~\n",
		"paths:\n  thread: /threads/:id\n",
		"paths:\n  login: auth/login\n",
		"ws_auth: cookie\n",
		"users: credentials\nuser_message_type: chat\nmessage_field: text\n",
		"events:\n  pong: \"  \"\n",
		"bogus: 1\n",
		"name: [1, 2]\n",
		"name: &a x\nws_auth: *a\n",
		"---\nname: first\n---\nname: second\n",
		"name: \"\\x00\\u2028\"\n",
		"budgets:\n  max_frame_bytes: 65536\n  max_frames_per_run: 50\n",
		"budgets:\n  max_frame_bytes: 0\n",
		"- a\n- b\n",
		"{",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64<<10 {
			t.Skip("input over 64 KiB: this target keeps each input small so that it runs in milliseconds; inputs up to 64 KiB run in make test (seed corpus) and make fuzz")
		}
		p, err := Parse(bytes.NewReader(b))
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Parse accepted a profile that fails Validate: %v\ninput: %q", err, b)
		}
		y, err := p.YAML()
		if err != nil {
			t.Fatalf("YAML of an accepted profile: %v\ninput: %q", err, b)
		}
		q, err := Parse(bytes.NewReader(y))
		if err != nil {
			t.Fatalf("the YAML of an accepted profile does not parse: %v\ninput: %q\nyaml:\n%s", err, b, y)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("profile changed through YAML:\ninput: %q\n got: %+v\nwant: %+v", b, q, p)
		}
	})
}
