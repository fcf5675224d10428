package scan

import (
	"encoding/binary"
	"regexp"
	"strings"
	"unicode/utf8"
)

const maxSnippet = 120

// jwtLikeRE matches a compact JWS/JWE: a base64url JSON header ("eyJ")
// followed by at least one more dot-separated segment.
var jwtLikeRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*)*`)

// minSecretRun is the length from which a base64/hex-looking run that
// mixes digits and letters is treated as a key or secret.
const minSecretRun = 32

func isRunByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) ||
		c == '+' || c == '/' || c == '=' || c == '_' || c == '-'
}

// redact replaces token-like strings with a short marker so that a snippet
// or detail never carries a whole token or key: JWTs, and runs of at least
// minSecretRun base64/hex characters holding both digits and letters.
func redact(s string) string {
	if strings.Contains(s, "eyJ") {
		s = jwtLikeRE.ReplaceAllString(s, "eyJ…[redacted]")
	}
	if len(s) < minSecretRun {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !isRunByte(s[i]) {
			i++
			continue
		}
		j, digits, letters := i, false, false
		for ; j < len(s) && isRunByte(s[j]); j++ {
			if isDigit(s[j]) {
				digits = true
			} else {
				letters = true
			}
		}
		if j-i >= minSecretRun && digits && letters {
			b.WriteString(s[last : i+4])
			b.WriteString("…[redacted]")
			last = j
		}
		i = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// makeSnippet returns the trimmed, redacted source line holding byte off,
// cut to at most maxSnippet runes.
func makeSnippet(src string, off int) string {
	start, end := lineBounds(src, off)
	return snippetOf(src, off, start, end)
}

// lineBounds returns the start and end (exclusive, before '\n') of the
// line holding byte off.
func lineBounds(src string, off int) (int, int) {
	start := strings.LastIndexByte(src[:off], '\n') + 1
	end := strings.IndexByte(src[off:], '\n')
	if end < 0 {
		return start, len(src)
	}
	return start, end + off
}

// snippetOf is makeSnippet for a line whose bounds are known.
func snippetOf(src string, off, start, end int) string {
	line := src[start:end]
	if len(line) > 4096 { // minified code: keep the neighbourhood of the match
		from := max(off-start-200, 0)
		for from > 0 && !utf8.RuneStart(line[from]) {
			from--
		}
		to := min(from+400, len(line))
		for to < len(line) && !utf8.RuneStart(line[to]) {
			to++
		}
		line = line[from:to]
	}
	line = redact(strings.TrimSpace(line))
	if utf8.RuneCountInString(line) > maxSnippet {
		line = string([]rune(line)[:maxSnippet-1]) + "…"
	}
	return line
}

// maxNorm bounds a normalised line: a minified line keeps only the
// neighbourhood of the finding.
const maxNorm = 512

// lineSum is the digest of a normalised source line.
type lineSum [16]byte

// sumLine is the digest of the normalised line holding byte off, whose
// bounds are start and end: two 64-bit FNV-1a hashes (different offset
// bases) of its bytes without white space — re-indenting or re-spacing
// the line keeps it, editing its code does not — computed without copying
// the line. The fingerprint hashes it again with the path and the rule.
func sumLine(src string, off, start, end int) lineSum {
	if end-start > 4*maxNorm {
		start, end = max(start, off-maxNorm), min(end, off+maxNorm)
	}
	const prime = 1099511628211
	h1, h2 := uint64(14695981039346656037), uint64(0x6c62272e07bb0142)
	for i, n := start, 0; i < end && n < maxNorm; i++ {
		c := src[i]
		if isSpace(c) {
			continue
		}
		h1 = (h1 ^ uint64(c)) * prime
		h2 = (h2 ^ uint64(c)) * prime
		n++
	}
	var s lineSum
	binary.BigEndian.PutUint64(s[:8], h1)
	binary.BigEndian.PutUint64(s[8:], h2)
	return s
}
