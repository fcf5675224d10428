package scan

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// WriteText writes a table of files and occurrences per category, a
// summary line, then one line per finding: "path:line:col category detail".
func WriteText(w io.Writer, r Result) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%-20s %7s %12s\n", "CATEGORY", "FILES", "OCCURRENCES")
	files, occ := map[string]bool{}, 0
	for _, f := range r.Findings {
		files[f.Path] = true
	}
	for _, c := range categories {
		cc := r.ByCategory[c]
		occ += cc.Occurrences
		fmt.Fprintf(bw, "%-20s %7d %12d\n", c, cc.Files, cc.Occurrences)
	}
	fmt.Fprintf(bw, "%-20s %7d %12d\n", "total", len(files), occ)
	fmt.Fprintf(bw, "\nscanned %d files, %d lines\n", r.FilesScanned, r.LinesScanned)
	if len(r.Findings) > 0 {
		fmt.Fprintln(bw)
	}
	for _, f := range r.Findings {
		fmt.Fprintf(bw, "%s:%d:%d %s %s\n", f.Path, f.Line, f.Column, f.Category, f.Detail)
	}
	return bw.Flush()
}

type jsonCounts struct {
	JWTImport          CategoryCount `json:"jwt_import"`
	JWTOperation       CategoryCount `json:"jwt_operation"`
	SecretAccess       CategoryCount `json:"secret_access"`
	DuplicateValidator CategoryCount `json:"duplicate_validator"`
}

type jsonReport struct {
	SchemaVersion int        `json:"schema_version"`
	Tool          string     `json:"tool"`
	FilesScanned  int        `json:"files_scanned"`
	LinesScanned  int        `json:"lines_scanned"`
	ByCategory    jsonCounts `json:"by_category"`
	Findings      []Finding  `json:"findings"`
}

// WriteJSON writes r as indented JSON with "schema_version": 1. Field
// names are stable; findings is [] rather than null when empty.
func WriteJSON(w io.Writer, r Result) error {
	rep := jsonReport{
		SchemaVersion: 1,
		Tool:          toolName,
		FilesScanned:  r.FilesScanned,
		LinesScanned:  r.LinesScanned,
		ByCategory: jsonCounts{
			JWTImport:          r.ByCategory[CategoryJWTImport],
			JWTOperation:       r.ByCategory[CategoryJWTOperation],
			SecretAccess:       r.ByCategory[CategorySecretAccess],
			DuplicateValidator: r.ByCategory[CategoryDuplicateValidator],
		},
		Findings: r.Findings,
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
)

var ruleText = map[Category]struct{ name, short, full string }{
	CategoryJWTImport: {"JWTImport", "JWT library imported outside the auth service",
		"A JWT library (PyJWT, python-jose, authlib.jose, golang-jwt, jwt-go, go-jose, jwx, jsonwebtoken, jose, jwt-decode) is imported outside the auth service. JWT code lives in the auth service only."},
	CategoryJWTOperation: {"JWTOperation", "JWT decoded, encoded, signed, verified or parsed outside the auth service",
		"A JWT decode/encode/sign/verify/parse call outside the auth service. Ask the auth service to validate tokens instead."},
	CategorySecretAccess: {"SecretAccess", "JWT secret read outside the auth service",
		"A JWT signing/verification secret (an environment variable, setting or string naming jwt + secret) is read outside the auth service. Only the auth service may hold it."},
	CategoryDuplicateValidator: {"DuplicateTokenValidator", "Token-validation function defined in more than one place",
		"A token-validation function (validate_token, decode_jwt, verifyToken, ParseToken, ...) is defined in more than one place outside the auth service; every definition site is reported."},
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool       sarifTool     `json:"tool"`
	ColumnKind string        `json:"columnKind"`
	Results    []sarifResult `json:"results"`
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
	ID                   string      `json:"id"`
	Name                 string      `json:"name"`
	ShortDescription     sarifText   `json:"shortDescription"`
	FullDescription      sarifText   `json:"fullDescription"`
	DefaultConfiguration sarifConfig `json:"defaultConfiguration"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int        `json:"startLine"`
	StartColumn int        `json:"startColumn"`
	Snippet     *sarifText `json:"snippet,omitempty"`
}

// WriteSARIF writes r as a SARIF 2.1.0 log with one run whose driver,
// "gpcheck-scan", has one rule per category. Every finding is a result of
// level "error"; columns are Unicode code points (run.columnKind).
func WriteSARIF(w io.Writer, r Result) error {
	run := sarifRun{
		Tool:       sarifTool{Driver: sarifDriver{Name: toolName}},
		ColumnKind: "unicodeCodePoints",
		Results:    []sarifResult{},
	}
	for _, c := range categories {
		t := ruleText[c]
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID: string(c), Name: t.name,
			ShortDescription:     sarifText{t.short},
			FullDescription:      sarifText{t.full},
			DefaultConfiguration: sarifConfig{Level: "error"},
		})
	}
	for _, f := range r.Findings {
		res := sarifResult{
			RuleID:    string(f.Category),
			RuleIndex: categoryRank(f.Category),
			Level:     "error",
			Message:   sarifText{f.Detail},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: relativeURI(f.Path)},
				Region:           sarifRegion{StartLine: f.Line, StartColumn: f.Column},
			}}},
		}
		if f.Snippet != "" {
			res.Locations[0].PhysicalLocation.Region.Snippet = &sarifText{f.Snippet}
		}
		run.Results = append(run.Results, res)
	}
	return encode(w, sarifLog{Schema: sarifSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

// relativeURI turns a slash path into a relative URI reference.
func relativeURI(p string) string {
	u := (&url.URL{Path: p}).EscapedPath()
	if first, _, _ := strings.Cut(u, "/"); strings.Contains(first, ":") {
		u = "./" + u
	}
	return u
}
