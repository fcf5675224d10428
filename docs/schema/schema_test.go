package schema_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gpcheck/gpcheck/docs/schema"
	"github.com/gpcheck/gpcheck/harness/scan"
	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/history"
	"github.com/gpcheck/gpcheck/reports/reporters"
)

// The golden files each schema must accept, relative to this folder.
const (
	reportGoldens = "../../reports/reporters/testdata/*/report.json"
	scanGolden    = "../../harness/scan/testdata/golden/scan.json"
)

// node is one schema object, as JSON decodes it.
type node = map[string]any

// doc is one schema file: parsed, to walk it, and compiled, to validate
// with it.
type doc struct {
	name string
	root node
	sch  *jsonschema.Schema
}

// load reads and compiles a schema file of the package, asserting
// formats (date-time) as well as structure.
func load(t *testing.T, name string) doc {
	t.Helper()
	b, err := fs.ReadFile(schema.Files(), name)
	if err != nil {
		t.Fatal(err)
	}
	var root node
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	id, _ := root["$id"].(string)
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(id, raw); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatalf("%s does not compile: %v", name, err)
	}
	return doc{name: name, root: root, sch: sch}
}

// validate validates one JSON document.
func (d doc) validate(b []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return d.sch.Validate(inst)
}

// at is the node at a JSON pointer below the root ("/$defs/finding").
func (d doc) at(t *testing.T, pointer string) node {
	t.Helper()
	var cur any = d.root
	for _, p := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		m, _ := cur.(node)
		cur = m[p]
	}
	n, ok := cur.(node)
	if !ok {
		t.Fatalf("%s has no object at %s", d.name, pointer)
	}
	return n
}

// chain is n and the nodes its $refs lead to, nearest first. Only local
// refs (#/$defs/x) are followed: the schemas use no other.
func (d doc) chain(n node) []node {
	var out []node
	for n != nil && len(out) < 16 {
		out = append(out, n)
		ref, _ := n["$ref"].(string)
		name, ok := strings.CutPrefix(ref, "#/$defs/")
		if !ok {
			break
		}
		defs, _ := d.root["$defs"].(node)
		n, _ = defs[name].(node)
	}
	return out
}

func TestSchemasCompile(t *testing.T) {
	for _, name := range schema.Names() {
		d := load(t, name)
		if d.root["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema %v, want draft 2020-12", name, d.root["$schema"])
		}
		if id, _ := d.root["$id"].(string); !strings.HasSuffix(id, "/docs/schema/"+name) {
			t.Errorf("%s: $id %q does not name the file", name, id)
		}
	}
	entries, err := fs.Glob(schema.Files(), "*.json")
	if err != nil || len(entries) != len(schema.Names()) {
		t.Errorf("embedded schema files %v, want exactly %v", entries, schema.Names())
	}
}

// TestGoldenFilesValidate: every golden file of a writer the schemas
// describe validates — report.json of every reporter fixture, the scan's
// JSON golden, and the history line history.Append writes for each golden
// report.
func TestGoldenFilesValidate(t *testing.T) {
	rep, hist, sc := load(t, schema.Report), load(t, schema.HistoryLine), load(t, schema.Scan)
	goldens, err := filepath.Glob(reportGoldens)
	if err != nil || len(goldens) < 2 {
		t.Fatalf("report goldens %v (%v): want the passing and failing fixtures", goldens, err)
	}
	for _, path := range goldens {
		t.Run("report.json/"+filepath.Base(filepath.Dir(path)), func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := rep.validate(b); err != nil {
				t.Errorf("%s does not validate against %s:\n%v", path, schema.Report, err)
			}
			r, err := reports.ReadJSON(b)
			if err != nil {
				t.Fatal(err)
			}
			lines := filepath.Join(t.TempDir(), "history.jsonl")
			if err := history.Append(lines, r); err != nil {
				t.Fatal(err)
			}
			eachLine(t, lines, func(line []byte) {
				if err := hist.validate(line); err != nil {
					t.Errorf("history line of %s does not validate against %s:\n%v\n%s", path, schema.HistoryLine, err, line)
				}
			})
		})
	}
	t.Run("scan.json", func(t *testing.T) {
		b, err := os.ReadFile(scanGolden)
		if err != nil {
			t.Fatal(err)
		}
		if err := sc.validate(b); err != nil {
			t.Errorf("%s does not validate against %s:\n%v", scanGolden, schema.Scan, err)
		}
	})
}

// eachLine calls fn with every non-blank line of the file at path.
func eachLine(t *testing.T, path string, fn func([]byte)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			n++
			fn(line)
		}
	}
	if err := sc.Err(); err != nil || n == 0 {
		t.Fatalf("%s: %d lines, %v", path, n, err)
	}
}

// TestReportSchemaMatchesModel walks reports.Report by reflection beside
// report.schema.json: every field Go writes must be a property of its
// object (a field added to the model without the schema fails here, by
// name), every property must be a field, a field without omitempty must
// be required and one with it must not, and every object must be closed.
// The walk fills every field (enum fields with a value the schema allows)
// and the report, written by reporters.JSON, must validate.
func TestReportSchemaMatchesModel(t *testing.T) {
	d := load(t, schema.Report)
	var r reports.Report
	(&filler{t: t, d: d}).fill(reflect.ValueOf(&r).Elem(), d.root, "report")
	b, err := reporters.JSON(&r)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.validate(b); err != nil {
		t.Errorf("a fully populated report does not validate:\n%v\n%s", err, b)
	}

	// The history line of that report, as history.Append writes it.
	h := load(t, schema.HistoryLine)
	lines := filepath.Join(t.TempDir(), "history.jsonl")
	if err := history.Append(lines, &r); err != nil {
		t.Fatal(err)
	}
	eachLine(t, lines, func(line []byte) {
		if err := h.validate(line); err != nil {
			t.Errorf("the history line of a fully populated report does not validate:\n%v\n%s", err, line)
		}
	})
}

// TestHistorySchemaMatchesModel is TestReportSchemaMatchesModel for a
// history line (history.Entry).
func TestHistorySchemaMatchesModel(t *testing.T) {
	d := load(t, schema.HistoryLine)
	var e history.Entry
	(&filler{t: t, d: d}).fill(reflect.ValueOf(&e).Elem(), d.root, "history line")
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.validate(b); err != nil {
		t.Errorf("a fully populated history line does not validate:\n%v\n%s", err, b)
	}
}

// TestScanSchemaMatchesModel is TestReportSchemaMatchesModel for `gpcheck
// scan --format json`: its finding, location, file and baseline counts
// are walked beside the schema, and a result holding every one, written
// by scan.WriteJSON, must validate (so that a field the writer adds fails
// as an additional property).
func TestScanSchemaMatchesModel(t *testing.T) {
	d := load(t, schema.Scan)
	f := &filler{t: t, d: d}
	var finding scan.Finding
	var files scan.FileCounts
	var base scan.BaselineCounts
	var loc scan.Location
	f.fill(reflect.ValueOf(&finding).Elem(), d.at(t, "/$defs/finding"), "finding")
	f.fill(reflect.ValueOf(&files).Elem(), d.at(t, "/properties/files"), "files")
	f.fill(reflect.ValueOf(&base).Elem(), d.at(t, "/properties/baseline"), "baseline")
	f.fill(reflect.ValueOf(&loc).Elem(), d.at(t, "/$defs/location"), "location")
	res := scan.Result{
		Root:          "/repo",
		MinConfidence: scan.ConfidenceLow,
		Findings:      []scan.Finding{finding},
		Files:         files,
		LinesScanned:  10,
		ByRule:        map[scan.Rule]scan.RuleCount{finding.Rule: {Files: 1, Findings: 1}},
		Hidden:        2,
		Baseline:      &base,
	}
	var b bytes.Buffer
	if err := scan.WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	if err := d.validate(b.Bytes()); err != nil {
		t.Errorf("a fully populated scan result does not validate:\n%v\n%s", err, b.Bytes())
	}
	var rules []string
	for _, ri := range scan.Rules() {
		rules = append(rules, string(ri.Rule))
	}
	enumIs(t, d, "/$defs/rule", rules)
	enumIs(t, d, "/$defs/confidence", []string{string(scan.ConfidenceHigh), string(scan.ConfidenceMedium), string(scan.ConfidenceLow)})
}

// TestEnumsMatchModel: the schemas' enums are the model's lists, so that
// a kind or severity added in Go fails until the schema has it.
func TestEnumsMatchModel(t *testing.T) {
	d, h := load(t, schema.Report), load(t, schema.HistoryLine)
	var kinds, severities []string
	for _, k := range reports.Kinds() {
		kinds = append(kinds, string(k))
	}
	for _, s := range reports.Severities() {
		severities = append(severities, string(s))
	}
	verdicts := []string{string(reports.VerdictPassed), string(reports.VerdictFailed), string(reports.VerdictInterrupted),
		string(reports.VerdictError), string(reports.VerdictInconclusive)}
	states := []string{string(reports.StatePassed), string(reports.StateSkipped), string(reports.StatePending), string(reports.StateFailed),
		string(reports.StatePanicked), string(reports.StateInterrupted), string(reports.StateAborted), string(reports.StateTimedout)}
	enumIs(t, d, "/$defs/kind", kinds)
	enumIs(t, d, "/$defs/finding/properties/kind", append(slices.Clone(kinds), string(reports.KindInconclusive)))
	enumIs(t, d, "/$defs/severity", severities)
	enumIs(t, d, "/$defs/verdict", verdicts)
	enumIs(t, d, "/$defs/state", states)
	enumIs(t, h, "/properties/verdict", verdicts)
	enumIs(t, h, "/properties/findings_by_kind/propertyNames", kinds)
	if v := d.at(t, "/properties/schema_version")["const"]; v != float64(reports.SchemaVersion) {
		t.Errorf("%s: schema_version const %v, but reports.SchemaVersion is %d", schema.Report, v, reports.SchemaVersion)
	}
	if v := h.at(t, "/properties/schema_version")["const"]; v != float64(history.Version) {
		t.Errorf("%s: schema_version const %v, but history.Version is %d", schema.HistoryLine, v, history.Version)
	}
	if v := d.at(t, "/$defs/histogram/properties/scheme")["const"]; v != reports.HistogramScheme {
		t.Errorf("%s: histogram scheme %v, but reports.HistogramScheme is %s", schema.Report, v, reports.HistogramScheme)
	}
}

// enumIs checks the enum at pointer, in order.
func enumIs(t *testing.T, d doc, pointer string, want []string) {
	t.Helper()
	var got []string
	for _, v := range d.at(t, pointer)["enum"].([]any) {
		got = append(got, v.(string))
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s %s: enum %q, want the model's %q", d.name, pointer, got, want)
	}
}

// TestReportOfABrokenRunValidates: a run that ended in error before any
// spec (what engine.Run writes then) has no stages and no specs, and
// still validates.
func TestReportOfABrokenRunValidates(t *testing.T) {
	d := load(t, schema.Report)
	r := &reports.Report{SchemaVersion: reports.SchemaVersion, Tool: reports.Tool{Name: "gpcheck", Version: "dev"},
		Verdict: reports.VerdictError, StartedAt: time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC),
		Target: reports.SUT{Kind: "remote"}, Spec: reports.DefaultRunSpec(), Error: "auth service unreachable"}
	r.Settle()
	b, err := reporters.JSON(reports.Redacted(r))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.validate(b); err != nil {
		t.Errorf("the report of a broken run does not validate:\n%v\n%s", err, b)
	}
}

// TestSchemaIsStrict: the report schema refuses what would be drift or a
// broken writer — each mutation of the failing golden report must fail.
func TestSchemaIsStrict(t *testing.T) {
	d := load(t, schema.Report)
	goldens, _ := filepath.Glob(reportGoldens)
	var golden []byte
	for _, p := range goldens {
		if filepath.Base(filepath.Dir(p)) == "failing" {
			golden, _ = os.ReadFile(p)
		}
	}
	if golden == nil {
		t.Fatal("no failing golden report.json")
	}
	if err := d.validate(golden); err != nil {
		t.Fatalf("the failing golden report does not validate: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(r node)
	}{
		{"unknown top-level field", func(r node) { r["score"] = 1 }},
		{"unknown finding field", func(r node) { finding(r)["cvss"] = "9.8" }},
		{"unknown spec setting", func(r node) { r["spec"].(node)["parallel"] = true }},
		{"unknown defect field", func(r node) { r["defects"].([]any)[0].(node)["owner"] = "x" }},
		{"missing verdict", func(r node) { delete(r, "verdict") }},
		{"missing spec", func(r node) { delete(r, "spec") }},
		{"finding without its defect", func(r node) { delete(finding(r), "defect") }},
		{"finding without severity", func(r node) { delete(finding(r), "severity") }},
		{"unknown verdict", func(r node) { r["verdict"] = "green" }},
		{"unknown kind", func(r node) { finding(r)["kind"] = "sql_injection" }},
		{"inconclusive among the violations", func(r node) { finding(r)["kind"] = "inconclusive" }},
		{"violation among the inconclusive", func(r node) { r["inconclusive"].([]any)[0].(node)["kind"] = "idor" }},
		{"unknown severity", func(r node) { r["defects"].([]any)[0].(node)["severity"] = "urgent" }},
		{"unknown state", func(r node) { r["specs"].([]any)[0].(node)["state"] = "flaky" }},
		{"unknown target", func(r node) { r["spec"].(node)["target"] = "k8s" }},
		{"unknown kind counted", func(r node) { r["findings_by_kind"].(node)["sql_injection"] = 1 }},
		{"newer schema_version", func(r node) { r["schema_version"] = 4 }},
		{"latency as text", func(r node) { r["stages"].([]any)[0].(node)["p50_ms"] = "fast" }},
		{"rate above 100", func(r node) { r["completion"].(node)["rate"] = 100.5 }},
		{"time not RFC 3339", func(r node) { r["started_at"] = "yesterday" }},
		{"duration not a Go duration", func(r node) { r["spec"].(node)["timeout"] = "10 minutes" }},
		{"seed negative", func(r node) { r["spec"].(node)["seed"] = -1 }},
		{"matrix cell of no verdict", func(r node) {
			r["token_matrix"].(node)["rows"].([]any)[0].(node)["cells"].(node)["auth.validate"] = "maybe"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r node
			if err := json.Unmarshal(golden, &r); err != nil {
				t.Fatal(err)
			}
			tt.mutate(r)
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.validate(b); err == nil {
				t.Error("validates, want an error")
			}
		})
	}
}

// finding is the first finding of a decoded report.
func finding(r node) node { return r["findings"].([]any)[0].(node) }

// filler walks a Go value beside its schema, checking that both describe
// the same object, and fills every field with a value the schema allows.
type filler struct {
	t *testing.T
	d doc
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[reports.Duration]()
)

// fill sets v (addressable) from the schema node n: its const, first enum
// value or first example when it has one, else one of everything: a
// struct's every field, a list of one, a map of one entry (its key from
// propertyNames when the schema names the keys).
func (f *filler) fill(v reflect.Value, n node, path string) {
	chain := f.d.chain(n)
	switch v.Type() {
	case timeType:
		v.Set(reflect.ValueOf(time.Date(2026, 3, 14, 9, 26, 53, 500, time.UTC)))
		return
	case durationType:
		v.SetInt(int64(1500 * time.Millisecond))
		return
	}
	for _, c := range chain {
		val, ok := c["const"]
		if !ok {
			if e, _ := c["enum"].([]any); len(e) > 0 {
				val, ok = e[0], true
			} else if e, _ := c["examples"].([]any); len(e) > 0 {
				val, ok = e[0], true
			}
		}
		if ok {
			b, _ := json.Marshal(val)
			if err := json.Unmarshal(b, v.Addr().Interface()); err != nil {
				f.t.Errorf("%s: the schema's value %s does not fit the Go type %s: %v", path, b, v.Type(), err)
			}
			return
		}
	}
	switch v.Kind() {
	case reflect.Struct:
		f.object(v, chain, path)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem(), n, path)
	case reflect.Slice:
		items, _ := lookup(chain, "items").(node)
		e := reflect.New(v.Type().Elem()).Elem()
		f.fill(e, items, path+"[]")
		v.Set(reflect.Append(reflect.MakeSlice(v.Type(), 0, 1), e))
	case reflect.Map:
		key := "k"
		if names, _ := lookup(chain, "propertyNames").(node); names != nil {
			for _, c := range f.d.chain(names) {
				if e, _ := c["enum"].([]any); len(e) > 0 {
					key = e[0].(string)
					break
				}
			}
		}
		val, _ := lookup(chain, "additionalProperties").(node)
		e := reflect.New(v.Type().Elem()).Elem()
		f.fill(e, val, path+"."+key)
		m := reflect.MakeMap(v.Type())
		m.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), e)
		v.Set(m)
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	default:
		f.t.Errorf("%s: teach the filler about %s", path, v.Type())
	}
}

// object compares a struct's JSON fields with the schema object of chain
// and fills each.
func (f *filler) object(v reflect.Value, chain []node, path string) {
	var base node // the object node itself: the one that closes it
	props := node{}
	for _, c := range chain {
		if _, ok := c["additionalProperties"]; ok && base == nil {
			base = c
		}
		ps, _ := c["properties"].(node)
		for k, p := range ps {
			if _, ok := props[k]; !ok {
				props[k] = p
			}
		}
	}
	if base == nil || base["additionalProperties"] != false {
		f.t.Errorf("%s: %s is a closed Go struct, but its schema object does not say additionalProperties: false", path, v.Type())
		base = node{}
	}
	required := map[string]bool{}
	for _, r := range asList(base["required"]) {
		required[r.(string)] = true
	}
	own, _ := base["properties"].(node)
	seen := map[string]bool{}
	typ := v.Type()
	for i := range typ.NumField() {
		sf := typ.Field(i)
		if !sf.IsExported() {
			continue
		}
		if sf.Anonymous {
			f.t.Errorf("%s: %s embeds %s: teach the filler about embedded structs", path, typ, sf.Type)
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		optional := slices.Contains(strings.Split(opts, ","), "omitempty") || slices.Contains(strings.Split(opts, ","), "omitzero")
		seen[name] = true
		p, ok := props[name].(node)
		if !ok {
			f.t.Errorf("%s: %s.%s is written as %q, which %s does not describe: add it to the schema", path, typ, sf.Name, name, f.d.name)
		} else if _, mine := own[name]; !mine {
			f.t.Errorf("%s: %q is described only by an overlay, not by the object that closes it", path, name)
		}
		if optional == required[name] {
			want := "required"
			if optional {
				want = "optional (omitempty)"
			}
			f.t.Errorf("%s: %s.%s (%q) is %s in Go, but not in %s", path, typ, sf.Name, name, want, f.d.name)
		}
		f.fill(v.Field(i), p, path+"."+name)
	}
	for name := range own {
		if !seen[name] {
			f.t.Errorf("%s: %s describes %q, which %s does not have", path, f.d.name, name, typ)
		}
	}
}

// lookup is the first value of key along chain.
func lookup(chain []node, key string) any {
	for _, c := range chain {
		if v, ok := c[key]; ok {
			return v
		}
	}
	return nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
