package scan

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestBaseline: a baseline written on one commit, checked on the next,
// leaves only the new finding — however the old ones moved.
func TestBaseline(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"api/a.py": "import jwt\n\ndef f(t):\n    return jwt.decode(t, k)\n",
		"api/b.py": "import os\nK = os.environ['JWT_SECRET']\n",
	})
	opts := Options{Root: dir}
	var base bytes.Buffer
	if err := WriteJSON(&base, scanOK(t, []string{dir}, opts)); err != nil {
		t.Fatal(err)
	}
	b, err := ReadBaseline(bytes.NewReader(base.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != 4 {
		t.Fatalf("baseline holds %d findings, want 4", b.Len())
	}

	// Next commit: lines above the old findings, the file re-indented, and
	// one new finding.
	if err := os.WriteFile(filepath.Join(dir, "api", "a.py"), []byte("\"\"\"Module.\"\"\"\n\nimport jwt\n\n\ndef f(t):\n        return jwt.decode(t,  k)\n\n\ndef g(p):\n    return jwt.encode(p, k)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := scanOK(t, []string{dir}, opts).Subtract(b)
	if err != nil {
		t.Fatal(err)
	}
	checkFindings(t, r, []string{"api/a.py:11:12 jwt_operation"})
	if *r.Baseline != (BaselineCounts{Known: 4}) || r.ByRule[RuleJWTOperation].Findings != 1 {
		t.Errorf("baseline counts %+v, by rule %v", *r.Baseline, r.ByRule)
	}

	// Editing a finding's code makes it new; removing one counts it gone.
	if err := os.WriteFile(filepath.Join(dir, "api", "b.py"), []byte("import os\nKEY = os.environ['JWT_SECRET']\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "api", "a.py"), []byte("import jwt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ = scanOK(t, []string{dir}, opts).Subtract(b)
	checkFindings(t, r, []string{"api/b.py:2:18 secret_read"})
	if *r.Baseline != (BaselineCounts{Known: 1, Gone: 3}) {
		t.Errorf("baseline counts %+v, want 1 known, 3 gone", *r.Baseline)
	}
}

// TestFingerprints: stable across line moves, distinct for identical
// lines in one file, different across rules and paths.
func TestFingerprints(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"a.py": "import jwt\nx = jwt.decode(t)\nx = jwt.decode(t)\n",
		"b.py": "import jwt\nx = jwt.decode(t)\n",
	})
	r := scanOK(t, []string{dir}, Options{Root: dir})
	seen := map[string]string{}
	for _, f := range r.Findings {
		if prev, ok := seen[f.Fingerprint]; ok {
			t.Errorf("%s and %s share fingerprint %s", prev, loc(f), f.Fingerprint)
		}
		seen[f.Fingerprint] = loc(f)
		if !strings.Contains(f.Fingerprint, ":") || len(f.Fingerprint) < 34 {
			t.Errorf("%s: fingerprint %q", loc(f), f.Fingerprint)
		}
	}
	ops := []string{}
	for _, f := range r.Findings {
		if f.Path == "a.py" && f.Rule == RuleJWTOperation {
			ops = append(ops, f.Fingerprint)
		}
	}
	if len(ops) != 2 || !strings.HasSuffix(ops[0], ":1") || !strings.HasSuffix(ops[1], ":2") || ops[0][:32] != ops[1][:32] {
		t.Errorf("identical lines: fingerprints %q, want one hash numbered :1 and :2", ops)
	}
}

func TestReadBaselineErrors(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"not JSON", "findings:", "not a gpcheck scan JSON report"},
		{"another tool", `{"tool":"semgrep","schema_version":2,"findings":[]}`, `tool "semgrep"`},
		{"version 1", `{"tool":"gpcheck-scan","schema_version":1,"findings":[]}`, "schema_version 1 has no fingerprints"},
		{"no fingerprint", `{"tool":"gpcheck-scan","schema_version":2,"findings":[{"rule":"jwt_import"}]}`, "finding 1 has no fingerprint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ReadBaseline(strings.NewReader(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := (Result{}).Subtract(nil); err == nil {
		t.Error("Subtract(nil): no error")
	}
}

// sarifSchema compiles the SARIF 2.1.0 JSON schema shipped in testdata
// (OASIS, Schemata/sarif-schema-2.1.0.json): nothing is fetched.
func sarifSchemaFor(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sarif", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const id = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSARIFValidates checks the SARIF golden file, an empty log and a
// baseline-filtered log against the SARIF 2.1.0 schema.
func TestSARIFValidates(t *testing.T) {
	schema := sarifSchemaFor(t)
	golden, err := os.ReadFile(filepath.Join("testdata", "golden", "scan.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	dir := writeTree(t, map[string]string{"a b/x.py": "import jwt\n"})
	empty := scanOK(t, []string{dir}, Options{Root: dir, MinConfidence: ConfidenceHigh})
	empty.Findings = nil
	newOnly, err := scanOK(t, []string{dir}, Options{Root: dir}).Subtract(&Baseline{})
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string][]byte{"golden": golden, "empty": sarifOf(t, empty), "baseline": sarifOf(t, newOnly)} {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("%s SARIF does not validate against SARIF 2.1.0: %v", name, err)
		}
	}
	// The schema is the real one: it rejects what SARIF forbids.
	var bad map[string]any
	if err := json.Unmarshal(sarifOf(t, newOnly), &bad); err != nil {
		t.Fatal(err)
	}
	bad["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)["level"] = "fatal"
	if err := schema.Validate(bad); err == nil {
		t.Error(`the schema accepts level "fatal"`)
	}
}

func sarifOf(t *testing.T, r Result) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
