package scan

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// TextOptions shapes WriteText.
type TextOptions struct {
	// Limit is the most findings listed per rule and directory; the rest
	// are counted. Zero or less lists all.
	Limit int
}

// WriteText writes a summary (findings, files scanned and skipped, hidden
// and baseline counts), a table of files and findings per rule, then the
// findings grouped by rule and by directory, each group with its count
// and at most opts.Limit lines "path:line:col message".
func WriteText(w io.Writer, r Result, opts TextOptions) error {
	bw := bufio.NewWriter(w)
	files := map[string]bool{}
	for _, f := range r.Findings {
		files[f.Path] = true
	}
	minConf := r.MinConfidence
	if minConf == "" {
		minConf = DefaultMinConfidence
	}
	if len(r.Findings) == 0 {
		fmt.Fprintf(bw, "gpcheck scan: no findings (confidence %s and above)\n", minConf)
	} else {
		fmt.Fprintf(bw, "gpcheck scan: %s in %s (confidence %s and above)\n",
			plural(len(r.Findings), "finding"), plural(len(files), "file"), minConf)
	}
	fc := r.Files
	fmt.Fprintf(bw, "scanned %s (%s); skipped %d test, %d auth and %d vendored or generated",
		plural(fc.Scanned, "file"), plural(r.LinesScanned, "line"), fc.Tests, fc.Auth, fc.Vendored)
	if fc.TooLarge > 0 {
		fmt.Fprintf(bw, " files, %d over %d MiB\n", fc.TooLarge, MaxFileSize>>20)
	} else {
		fmt.Fprintln(bw, " files")
	}
	if r.Hidden > 0 {
		fmt.Fprintf(bw, "%s below %s confidence not listed (--min-confidence low lists them)\n", plural(r.Hidden, "finding"), minConf)
	}
	if b := r.Baseline; b != nil {
		fmt.Fprintf(bw, "baseline: %d known %s not listed, %d no longer found\n", b.Known, pluralWord(b.Known, "finding"), b.Gone)
	}
	if len(r.Findings) == 0 {
		return bw.Flush()
	}

	fmt.Fprintf(bw, "\n%-20s %-10s %6s %9s\n", "RULE", "CONFIDENCE", "FILES", "FINDINGS")
	for _, ri := range rules {
		if ri.Confidence.rank() < minConf.rank() {
			continue
		}
		c := r.ByRule[ri.Rule]
		fmt.Fprintf(bw, "%-20s %-10s %6d %9d\n", ri.Rule, ri.Confidence, c.Files, c.Findings)
	}
	fmt.Fprintf(bw, "%-20s %-10s %6d %9d\n", "total", "", len(files), len(r.Findings))

	for _, ri := range rules {
		var fs []Finding
		for _, f := range r.Findings {
			if f.Rule == ri.Rule {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 {
			continue
		}
		c := r.ByRule[ri.Rule]
		fmt.Fprintf(bw, "\n%s: %s in %s\n", ri.Rule, plural(c.Findings, "finding"), plural(c.Files, "file"))
		byDir := map[string][]Finding{}
		var dirs []string
		for _, f := range fs {
			d := path.Dir(f.Path)
			if _, ok := byDir[d]; !ok {
				dirs = append(dirs, d)
			}
			byDir[d] = append(byDir[d], f)
		}
		// Findings are sorted by path, so dirs are in order of first path;
		// sort them by name for a stable, scannable list.
		slices.Sort(dirs)
		for _, d := range dirs {
			g := byDir[d]
			fmt.Fprintf(bw, "  %s/ (%d)\n", d, len(g))
			for k, f := range g {
				if opts.Limit > 0 && k == opts.Limit {
					fmt.Fprintf(bw, "    … %d more in %s/ (--limit 0 lists all)\n", len(g)-k, d)
					break
				}
				conf := ""
				if f.Confidence != ri.Confidence {
					conf = " [" + string(f.Confidence) + "]"
				}
				fmt.Fprintf(bw, "    %s:%d:%d %s%s\n", f.Path, f.Line, f.Column, f.Message, conf)
			}
		}
	}
	return bw.Flush()
}

func plural(n int, word string) string { return fmt.Sprintf("%d %s", n, pluralWord(n, word)) }

func pluralWord(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// jsonSchemaVersion is the JSON report's version: 2 added confidence,
// fingerprints and the file counts, and renamed categories to rules.
const jsonSchemaVersion = 2

type jsonRule struct {
	Rule       Rule       `json:"rule"`
	Confidence Confidence `json:"confidence"`
	Files      int        `json:"files"`
	Findings   int        `json:"findings"`
}

type jsonReport struct {
	SchemaVersion int             `json:"schema_version"`
	Tool          string          `json:"tool"`
	MinConfidence Confidence      `json:"min_confidence"`
	Files         FileCounts      `json:"files"`
	LinesScanned  int             `json:"lines_scanned"`
	Hidden        int             `json:"hidden_below_min_confidence"`
	Baseline      *BaselineCounts `json:"baseline,omitempty"`
	ByRule        []jsonRule      `json:"by_rule"`
	Findings      []Finding       `json:"findings"`
}

// WriteJSON writes r as indented JSON with "schema_version": 2: the file
// counts, one by_rule entry per rule, and the findings with their
// confidence and fingerprint. Paths are relative to the repository root
// and the report holds no absolute path, so it can be committed as a
// baseline (ReadBaseline). Field names are stable; findings is [] rather
// than null when empty.
func WriteJSON(w io.Writer, r Result) error {
	rep := jsonReport{
		SchemaVersion: jsonSchemaVersion,
		Tool:          toolName,
		MinConfidence: r.MinConfidence,
		Files:         r.Files,
		LinesScanned:  r.LinesScanned,
		Hidden:        r.Hidden,
		Baseline:      r.Baseline,
		Findings:      r.Findings,
	}
	if rep.MinConfidence == "" {
		rep.MinConfidence = DefaultMinConfidence
	}
	for _, ri := range rules {
		c := r.ByRule[ri.Rule]
		rep.ByRule = append(rep.ByRule, jsonRule{ri.Rule, ri.Confidence, c.Files, c.Findings})
	}
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	return encode(w, rep)
}

func encode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

const (
	toolName    = "gpcheck-scan"
	sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json"
	// srcRoot is the uriBaseId of every artifact location: the repository
	// root, given in run.originalUriBaseIds.
	srcRoot = "%SRCROOT%"
	// fingerprintKey names gpcheck's fingerprint in partialFingerprints.
	fingerprintKey = "gpcheckScan/v1"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                `json:"tool"`
	OriginalURIBaseIDs map[string]sarifArtifact `json:"originalUriBaseIds,omitempty"`
	ColumnKind         string                   `json:"columnKind"`
	Results            []sarifResult            `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name  string      `json:"name"`
	Rules []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	RelatedLocations    []sarifLocation   `json:"relatedLocations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	BaselineState       string            `json:"baselineState,omitempty"`
	Properties          map[string]any    `json:"properties"`
}

type sarifLocation struct {
	ID               *int          `json:"id,omitempty"`
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
	Message          *sarifText    `json:"message,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int        `json:"startLine"`
	StartColumn int        `json:"startColumn"`
	Snippet     *sarifText `json:"snippet,omitempty"`
}

// WriteSARIF writes r as a SARIF 2.1.0 log with one run whose driver,
// "gpcheck-scan", has one rule per Rule. A result's level follows its
// confidence (high error, medium warning, low note); its location is
// relative to %SRCROOT%, the repository root, given in originalUriBaseIds;
// partialFingerprints["gpcheckScan/v1"] is the finding's fingerprint, so
// code scanning follows a finding across commits; a duplicated validator's
// other sites are relatedLocations. After Subtract, every result has
// baselineState "new". Columns are Unicode code points (run.columnKind).
func WriteSARIF(w io.Writer, r Result) error {
	run := sarifRun{
		Tool:       sarifTool{Driver: sarifDriver{Name: toolName}},
		ColumnKind: "unicodeCodePoints",
		Results:    []sarifResult{},
	}
	if r.Root != "" {
		run.OriginalURIBaseIDs = map[string]sarifArtifact{srcRoot: {URI: fileURI(r.Root)}}
	}
	for _, ri := range rules {
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID: string(ri.Rule), Name: ri.Name,
			ShortDescription:     sarifText{ri.Short},
			FullDescription:      sarifText{ri.Full},
			DefaultConfiguration: sarifConfig{Level: ri.Confidence.Level()},
			Properties:           map[string]any{"precision": sarifPrecision(ri.Confidence), "tags": []string{"security", "jwt"}},
		})
	}
	for _, f := range r.Findings {
		res := sarifResult{
			RuleID:              string(f.Rule),
			RuleIndex:           ruleRank(f.Rule),
			Level:               f.Confidence.Level(),
			Message:             sarifText{f.Message},
			Locations:           []sarifLocation{{PhysicalLocation: physical(f.Path, f.Line, f.Column, f.Snippet)}},
			PartialFingerprints: map[string]string{fingerprintKey: f.Fingerprint},
			Properties:          map[string]any{"confidence": f.Confidence},
		}
		for k, rel := range f.Related {
			id := k + 1
			res.RelatedLocations = append(res.RelatedLocations, sarifLocation{
				ID:               &id,
				PhysicalLocation: physical(rel.Path, rel.Line, rel.Column, ""),
				Message:          &sarifText{"also defined here"},
			})
		}
		if r.Baseline != nil {
			res.BaselineState = "new"
		}
		run.Results = append(run.Results, res)
	}
	return encode(w, sarifLog{Schema: sarifSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

func physical(p string, line, col int, snippet string) sarifPhysical {
	pl := sarifPhysical{
		ArtifactLocation: sarifArtifact{URI: relativeURI(p), URIBaseID: srcRoot},
		Region:           sarifRegion{StartLine: line, StartColumn: col},
	}
	if snippet != "" {
		pl.Region.Snippet = &sarifText{snippet}
	}
	return pl
}

// sarifPrecision is GitHub code scanning's precision for a confidence.
func sarifPrecision(c Confidence) string {
	switch c {
	case ConfidenceHigh:
		return "high"
	case ConfidenceMedium:
		return "medium"
	}
	return "low"
}

// relativeURI turns a slash path into a relative URI reference.
func relativeURI(p string) string {
	u := (&url.URL{Path: p}).EscapedPath()
	if first, _, _ := strings.Cut(u, "/"); strings.Contains(first, ":") {
		u = "./" + u
	}
	return u
}

// fileURI is the file: URI of an absolute directory, with a trailing
// slash so that relative URIs resolve below it.
func fileURI(dir string) string {
	p := filepath.ToSlash(dir)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // C:/repo
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}
