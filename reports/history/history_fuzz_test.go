package history

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"
)

// lineErr is how every Parse error starts: the 1-based line it is about.
var lineErr = regexp.MustCompile(`^([0-9]+): `)

// FuzzParse feeds arbitrary history files to Parse. Properties:
//   - it never panics;
//   - every error names a line, "N: …", with 1 <= N <= lines+1; the lines
//     before N parse cleanly and (unless the error is the scanner's own,
//     such as a line over the limit) line N alone is rejected: the error
//     names the first bad line;
//   - every entry it returns has a time, a verdict and a schema_version
//     this gpcheck reads, and there are no more entries than non-blank
//     lines.
func FuzzParse(f *testing.F) {
	good := `{"schema_version":1,"time":"2026-03-14T09:26:53Z","verdict":"passed","version":"v0.4.0","seed":42,"target":"local","completion":{"attempted":20,"completed":20,"rate":100,"target":100},"findings":0,"findings_by_kind":{},"duration_ms":8421}`
	bad := `{"schema_version":1,"time":"2026-03-15T09:26:53Z","verdict":"failed","seed":42,"target":"local","faults":["ws-route-by-short-id"],"completion":{"attempted":20,"completed":17,"rate":85,"target":100},"findings":3,"findings_by_kind":{"isolation_leak":2,"stage_failure":1},"duration_ms":9120}`
	for _, s := range []string{
		good + "\n",
		good + "\n" + bad + "\n",
		good + "\r\n\r\n  \t\n" + bad,
		good + "\n" + `{"schema_version":2,"time":"2026-03-14T09:26:53Z","verdict":"passed"}` + "\n",
		good + "\n" + `{"schema_version":1,"verdict":"passed"}` + "\n",
		good + "\n" + `{"schema_version":1,"time":"2026-03-14T09:26:53Z"}` + "\n",
		good + "\n" + good[:len(good)/2] + "\n" + bad + "\n",
		`{"time":"not a time","verdict":"passed"}`,
		`{"time":"2026-03-14T09:26:53Z","verdict":"passed","findings_by_kind":{"a":1.5}}`,
		`[]`,
		"\n\n\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := Parse(bytes.NewReader(b))
		lines := bytes.Split(b, []byte("\n"))
		if err != nil {
			if entries != nil {
				t.Fatalf("Parse returned entries with error %v", err)
			}
			m := lineErr.FindStringSubmatch(err.Error())
			if m == nil {
				t.Fatalf("error names no line: %q\ninput: %q", err, b)
			}
			n, convErr := strconv.Atoi(m[1])
			if convErr != nil || n < 1 || n > len(lines)+1 {
				t.Fatalf("error names line %s of %d: %q", m[1], len(lines), err)
			}
			if _, perr := Parse(bytes.NewReader(bytes.Join(lines[:min(n-1, len(lines))], []byte("\n")))); perr != nil {
				t.Fatalf("error %q names line %d, but the lines before it do not parse: %v\ninput: %q", err, n, perr, b)
			}
			if n <= len(lines) && len(lines[n-1]) < maxHistoryLine {
				if _, err2 := Parse(bytes.NewReader(lines[n-1])); err2 == nil {
					t.Fatalf("error %q names line %d, which parses on its own: %q", err, n, lines[n-1])
				}
			}
			return
		}
		nonBlank := 0
		for _, l := range lines {
			if len(bytes.TrimSpace(l)) > 0 {
				nonBlank++
			}
		}
		if len(entries) > nonBlank {
			t.Fatalf("%d entries from %d non-blank lines", len(entries), nonBlank)
		}
		for i, e := range entries {
			if e.Time.IsZero() || e.Verdict == "" || e.SchemaVersion > Version {
				t.Fatalf("entry %d accepted without time, verdict or with schema_version %d: %+v", i, e.SchemaVersion, e)
			}
		}
	})
}
