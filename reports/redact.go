package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// jwtPattern matches compact JWS/JWE-looking strings: base64url segments
// joined by dots whose first segment starts like a JSON header.
var jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*){1,4}`)

// Redact replaces every JWT-looking string in s with a fingerprint, and
// every given secret with "[redacted]". Writers pass all text through it,
// so that no report holds a whole token or secret.
func Redact(s string, secrets ...string) string {
	s = jwtPattern.ReplaceAllStringFunc(s, func(tok string) string {
		sum := sha256.Sum256([]byte(tok))
		return "[token sha256:" + hex.EncodeToString(sum[:6]) + "]"
	})
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}
