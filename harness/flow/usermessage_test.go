package flow

import (
	"encoding/json"
	"testing"
)

// TestUserMessageIsJSON checks the hand-written user_message against
// encoding/json: the same values come back, whatever the text holds.
func TestUserMessageIsJSON(t *testing.T) {
	texts := []string{"Hello agent, please remember gpc-x.", `quote " backslash \ slash /`, "tab\tnew\nline\x00\x1f",
		"<b>&amp;</b>", "line\u2028para\u2029", "ünïcødé 日本", "bad \xff utf-8", ""}
	for _, text := range texts {
		raw := userMessage("user_message", "content", text, "th_1", "req-\"1\"")
		var got struct {
			Type    string            `json:"type"`
			Payload map[string]string `json:"payload"`
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("%q: not JSON: %v\n%s", text, err, raw)
		}
		want, _ := json.Marshal(text) // what encoding/json makes of it (invalid UTF-8 → U+FFFD)
		var wantText string
		_ = json.Unmarshal(want, &wantText)
		if got.Type != "user_message" || got.Payload["content"] != wantText || got.Payload["thread_id"] != "th_1" || got.Payload["request_id"] != `req-"1"` {
			t.Errorf("%q: decoded %+v", text, got)
		}
	}
}
