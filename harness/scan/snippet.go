package scan

import (
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
	start := strings.LastIndexByte(src[:off], '\n') + 1
	end := strings.IndexByte(src[off:], '\n')
	if end < 0 {
		end = len(src)
	} else {
		end += off
	}
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
