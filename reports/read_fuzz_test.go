package reports

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzReadJSON feeds arbitrary bytes to the report.json loader (seeded
// from the reporters' golden report.json files under
// testdata/fuzz/FuzzReadJSON). Properties:
//   - ReadJSON never panics;
//   - whatever it accepts has SchemaVersion <= SchemaVersion (it is
//     brought to the current layout);
//   - what it accepts, encoded again, is accepted again and encodes the
//     same (report.json is a fixed point of write∘read);
//   - Redacted never panics on an accepted report, and its JSON encoding
//     (as reporters.JSON writes it, without HTML escaping) holds no
//     JWT-looking string (jwtPattern): neither in any decoded string, key
//     or value, nor in the raw text except where the match only begins
//     inside a \u00XX escape the encoder wrote for a control character.
func FuzzReadJSON(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"schema_version":2}`,
		`{"schema_version":3}`,
		`{"schema_version":-1}`,
		`{"schema_version":1,"config":{"users":5,"timeout_ms":1000,"shards":["1/2"]},"target":{"kind":"remote","auth_url":"https://u:p@auth.example"}}`,
		`{"schema_version":1,"config":null}`,
		`{"schema_version":1,"config":[1]}`,
		`{"schema_version":2,"spec":{"timeout":"10s","request_timeout":"bogus"}}`,
		`{"schema_version":2,"findings":[{"id":"F0001","kind":"token_verdict","detail":"token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln","evidence":["\u001eyJab.cd",">yJab.cd"]}]}`,
		`{"schema_version":2,"findings_by_kind":{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln":1,"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ2In0.c2ln":2}}`,
		`{"schema_version":1e400}`,
		`[]`,
		`null`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ReadJSON(b)
		if err != nil {
			if r != nil {
				t.Fatalf("ReadJSON returned a report with error %v", err)
			}
			return
		}
		if r == nil {
			t.Fatal("ReadJSON returned nil report and nil error")
		}
		if r.SchemaVersion > SchemaVersion {
			t.Fatalf("accepted schema_version %d > %d", r.SchemaVersion, SchemaVersion)
		}

		// write∘read is a fixed point.
		b1 := encodeReport(t, r)
		r2, err := ReadJSON(b1)
		if err != nil {
			t.Fatalf("ReadJSON rejects its own output: %v\ninput: %q\noutput: %s", err, b, b1)
		}
		if b2 := encodeReport(t, r2); !bytes.Equal(b1, b2) {
			t.Fatalf("report changed through write and read:\ninput: %q\nfirst:  %s\nsecond: %s", b, b1, b2)
		}

		red := Redacted(r)
		if red == nil {
			t.Fatal("Redacted returned nil for a report")
		}
		out := encodeReport(t, red)
		var v any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("redacted report does not decode: %v", err)
		}
		walkStrings(v, func(s string) {
			if m := jwtPattern.FindString(s); m != "" {
				t.Fatalf("redacted report holds JWT-looking %q in %q\ninput: %q", m, s, b)
			}
		})
		for _, loc := range jwtPattern.FindAllIndex(out, -1) {
			if !escapeEndsAt(out, loc[0]) {
				t.Fatalf("redacted report.json holds JWT-looking %q\ninput: %q", out[loc[0]:loc[1]], b)
			}
		}
	})
}

// encodeReport encodes r as reporters.JSON does: indented, without HTML
// escaping.
func encodeReport(t *testing.T, r *Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		t.Fatalf("encode report: %v", err)
	}
	return buf.Bytes()
}

// escapeEndsAt reports whether b[i] is the last hex digit of a \u00XX
// escape: a match of jwtPattern starting there is the encoder's spelling
// of a control character followed by "yJ…", not a token.
func escapeEndsAt(b []byte, i int) bool {
	if i < 5 || string(b[i-5:i-1]) != `\u00` {
		return false
	}
	// The backslash must itself be unescaped: an odd run of backslashes.
	n := 0
	for j := i - 5; j >= 0 && b[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// walkStrings calls fn with every string of a decoded JSON value: object
// keys, object values and array elements.
func walkStrings(v any, fn func(string)) {
	switch v := v.(type) {
	case string:
		fn(v)
	case []any:
		for _, e := range v {
			walkStrings(e, fn)
		}
	case map[string]any:
		for k, e := range v {
			fn(k)
			walkStrings(e, fn)
		}
	}
}
