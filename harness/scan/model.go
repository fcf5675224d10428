package scan

import (
	"fmt"
	"slices"
)

// Rule names a kind of finding. Its string is what the JSON report, the
// SARIF ruleId and a baseline's fingerprints carry, so it never changes.
type Rule string

// The rules, in report order.
const (
	RuleJWTImport          Rule = "jwt_import"
	RuleJWTOperation       Rule = "jwt_operation"
	RuleSecretRead         Rule = "secret_read"
	RuleDuplicateValidator Rule = "duplicate_validator"
	RuleValidatorName      Rule = "validator_name"
	RuleSecretMention      Rule = "secret_mention"
)

// Confidence is how sure a finding is that it is JWT code outside the
// auth service: high for a JWT library import or call (and a function
// that decodes or verifies tokens with one), medium for a read of the
// secret, low for a name alone. It maps to the SARIF level (Level).
type Confidence string

// The confidences, most certain first.
const (
	ConfidenceHigh   Confidence = "high"
	ConfidenceMedium Confidence = "medium"
	ConfidenceLow    Confidence = "low"
)

// DefaultMinConfidence is what Options.MinConfidence means when empty:
// low-confidence findings (names alone) are off by default.
const DefaultMinConfidence = ConfidenceMedium

func (c Confidence) rank() int {
	switch c {
	case ConfidenceHigh:
		return 3
	case ConfidenceMedium:
		return 2
	case ConfidenceLow:
		return 1
	}
	return 0
}

// Level is the SARIF result level of a confidence: error, warning or note.
func (c Confidence) Level() string {
	switch c {
	case ConfidenceHigh:
		return "error"
	case ConfidenceMedium:
		return "warning"
	}
	return "note"
}

// ParseConfidence parses "high", "medium" or "low".
func ParseConfidence(s string) (Confidence, error) {
	c := Confidence(s)
	if c.rank() == 0 {
		return "", fmt.Errorf("unknown confidence %q (want high, medium or low)", s)
	}
	return c, nil
}

// RuleInfo describes a rule for reports and code scanning.
type RuleInfo struct {
	Rule Rule
	// Confidence is the rule's own; a finding may be less sure than its
	// rule (a validator found through a wrapper is medium).
	Confidence Confidence
	Name       string // SARIF reportingDescriptor.name
	Short      string // one line
	Full       string // what counts and what does not
}

// rules is the rule registry, in report order. Nothing modifies it.
var rules = []RuleInfo{
	{RuleJWTImport, ConfidenceHigh, "JWTImport", "JWT library imported outside the auth service",
		"A JWT library (PyJWT, python-jose, authlib.jose, golang-jwt, jwt-go, go-jose, jwx, jsonwebtoken, jose, jwt-decode) is imported outside the auth service. JWT code lives in the auth service only."},
	{RuleJWTOperation, ConfidenceHigh, "JWTOperation", "JWT decoded, encoded, signed, verified or parsed outside the auth service",
		"A call of a JWT library's decode/encode/sign/verify/parse function, on a name that this file binds to a JWT library import. Ask the auth service to validate tokens instead."},
	{RuleSecretRead, ConfidenceMedium, "JWTSecretRead", "JWT secret read outside the auth service",
		"The JWT signing secret is read: an environment lookup (os.environ[...], os.getenv, process.env.X, os.Getenv), a settings or config attribute or subscript (settings.JWT_SECRET, config[\"jwt_secret\"]) or a getter call (get_jwt_secret()). Only the auth service may hold it. Imports, definitions, parameters, decorators, comparisons and lists of names are not reads."},
	{RuleDuplicateValidator, ConfidenceHigh, "DuplicateTokenValidator", "Token validator outside the auth service",
		"A function that decodes or verifies JWTs itself (a JWT library call, or an HMAC check over the token's parts), or only wraps such a function, duplicates the auth service's validation. Calling the auth service's validate endpoint over HTTP is the sanctioned path and is never reported. Every site of a validator name is listed."},
	{RuleValidatorName, ConfidenceLow, "TokenValidatorName", "Function named like a token validator (name only)",
		"A function named like a token validator (validate_token, verifyJwt, ParseToken, ...) whose body verifies no JWT. Often an email-link or OAuth check: low confidence, shown with --min-confidence low."},
	{RuleSecretMention, ConfidenceLow, "JWTSecretMention", "JWT secret named but not read",
		"A name or string naming the JWT secret that is not a read: an import, a definition, a parameter, a decorator argument, a comparison, a list of names. Low confidence, shown with --min-confidence low."},
}

// Rules returns the rule registry, in report order.
func Rules() []RuleInfo { return slices.Clone(rules) }

// ruleRank is a rule's index in rules (report order).
func ruleRank(r Rule) int {
	switch r {
	case RuleJWTImport:
		return 0
	case RuleJWTOperation:
		return 1
	case RuleSecretRead:
		return 2
	case RuleDuplicateValidator:
		return 3
	case RuleValidatorName:
		return 4
	case RuleSecretMention:
		return 5
	}
	return len(rules)
}

func ruleConfidence(r Rule) Confidence {
	if k := ruleRank(r); k < len(rules) {
		return rules[k].Confidence
	}
	return ConfidenceLow
}

// Location is a place in a file, relative to the repository root.
type Location struct {
	Path   string `json:"path"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// Finding is one occurrence of JWT code outside the auth service.
type Finding struct {
	Rule       Rule       `json:"rule"`
	Confidence Confidence `json:"confidence"`
	// Path is slash-separated and relative to the repository root.
	Path string `json:"path"`
	// Line and Column are 1-based; Column counts Unicode code points.
	Line   int `json:"line"`
	Column int `json:"column"`
	// Snippet is the trimmed source line, at most 120 characters, with
	// token-like strings (JWTs, long base64/hex runs) redacted.
	Snippet string `json:"snippet"`
	Message string `json:"message"`
	// Fingerprint identifies the finding across commits: a hash of the
	// rule, the path and the finding's source line with white space
	// removed, then ":n" for the n-th such finding in the file. Moving the
	// line, or editing other lines, keeps it; editing the line changes it.
	Fingerprint string `json:"fingerprint"`
	// Related are the other sites a finding names (every other definition
	// of a duplicated validator).
	Related []Location `json:"related,omitempty"`

	line lineSum // digest of the normalised source line, input of Fingerprint
}

// FileCounts says what happened to the source files below the scanned
// paths. Only files of a scanned language are counted.
type FileCounts struct {
	Scanned  int `json:"scanned"`
	Tests    int `json:"skipped_tests"`    // test code, skipped without Options.IncludeTests
	Auth     int `json:"skipped_auth"`     // the auth service (Options.AuthPaths)
	Vendored int `json:"skipped_vendored"` // vendored, generated or backup copies
	TooLarge int `json:"skipped_too_large"`
}

// RuleCount summarises one rule's findings.
type RuleCount struct {
	Files    int `json:"files"`    // distinct files with at least one finding
	Findings int `json:"findings"` // findings
}

// BaselineCounts says how a result compares with a baseline.
type BaselineCounts struct {
	Known int `json:"known"` // findings in the baseline, left out of Findings
	Gone  int `json:"gone"`  // baseline findings no longer found
}

// Result is the outcome of a scan.
type Result struct {
	// Root is the absolute repository root every Path is relative to.
	Root          string
	MinConfidence Confidence
	// Findings at or above MinConfidence (and, after Subtract, not in the
	// baseline), sorted by path, line, column and rule.
	Findings     []Finding
	Files        FileCounts
	LinesScanned int
	// ByRule has an entry for every rule, zero or not.
	ByRule map[Rule]RuleCount
	// Hidden counts the findings below MinConfidence.
	Hidden int
	// Baseline is set by Subtract.
	Baseline *BaselineCounts
}

// countByRule counts findings and files per rule; fs is sorted by path.
func countByRule(fs []Finding) map[Rule]RuleCount {
	counts := make([]RuleCount, len(rules)+1)
	last := make([]string, len(rules)+1)
	seen := make([]bool, len(rules)+1)
	for i := range fs {
		k := ruleRank(fs[i].Rule)
		counts[k].Findings++
		if !seen[k] || last[k] != fs[i].Path {
			seen[k], last[k] = true, fs[i].Path
			counts[k].Files++
		}
	}
	m := make(map[Rule]RuleCount, len(rules))
	for k, ri := range rules {
		m[ri.Rule] = counts[k]
	}
	return m
}
