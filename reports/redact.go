package reports

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// jwtPattern matches compact JWS/JWE-looking strings: base64url segments
// joined by dots whose first segment starts like a JSON header.
var jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*){1,4}`)

// b64JWTPattern matches a JWT that was itself base64- or
// base64url-encoded ("eyJ" encodes as "ZXlK"), as in the
// jwt.<base64url(token)> WebSocket subprotocol.
var b64JWTPattern = regexp.MustCompile(`ZXlK[A-Za-z0-9+/_-]{16,}={0,2}`)

// userinfoPattern matches the user:password@ of a URL in free text.
var userinfoPattern = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://)[^/\s@]+@`)

// Redact replaces every JWT-looking string in s (plain, or base64- or
// base64url-encoded) with a fingerprint, the userinfo of any URL with
// "[redacted]", and every given secret with "[redacted]" in each form it
// travels in: as is, base64 and base64url (padded or not, at any byte
// alignment), URL-encoded and JSON-escaped. Writers pass all text through
// it, so that no report holds a whole token or secret. Secrets shorter
// than 4 characters are ignored. For many strings, NewRedactor does the
// per-secret work once.
func Redact(s string, secrets ...string) string {
	return NewRedactor(secrets...).Redact(s)
}

// Redactor redacts text as Redact does, for one set of secrets.
type Redactor struct {
	secrets *strings.Replacer
}

// NewRedactor prepares the forms of secrets once.
func NewRedactor(secrets ...string) *Redactor {
	var pairs []string
	seen := map[string]bool{}
	for _, sec := range secrets {
		if len(sec) < 4 {
			continue
		}
		for _, form := range secretForms(sec) {
			if !seen[form] {
				seen[form] = true
				pairs = append(pairs, form, "[redacted]")
			}
		}
	}
	// Longer forms first, so that a secret's encoding is replaced whole
	// before a shorter form inside it.
	sortPairsByLength(pairs)
	r := &Redactor{}
	if len(pairs) > 0 {
		r.secrets = strings.NewReplacer(pairs...)
	}
	return r
}

// Redact redacts s.
func (r *Redactor) Redact(s string) string {
	s = jwtPattern.ReplaceAllStringFunc(s, fingerprint)
	s = b64JWTPattern.ReplaceAllStringFunc(s, func(enc string) string {
		// An encoded token, whole or cut short (a transcript shows only a
		// frame's beginning): what it decodes to starts like a JWT.
		if tok := decodeB64(enc); strings.HasPrefix(tok, "eyJ") && b64urlRun(tok) >= 16 {
			return fingerprint(tok)
		}
		return enc
	})
	s = userinfoPattern.ReplaceAllString(s, "${1}[redacted]@")
	if r.secrets != nil {
		s = r.secrets.Replace(s)
	}
	return s
}

func fingerprint(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return "[token sha256:" + hex.EncodeToString(sum[:6]) + "]"
}

// decodeB64 decodes base64 or base64url, padded or not, whole or cut
// short (a dangling last character is dropped); "" when it is neither.
func decodeB64(s string) string {
	s = strings.TrimRight(s, "=")
	if len(s)%4 == 1 {
		s = s[:len(s)-1]
	}
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return string(b)
		}
	}
	return ""
}

// b64urlRun is the length of the run of base64url characters and dots s
// starts with.
func b64urlRun(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return i
		}
	}
	return len(s)
}

// secretForms are the forms a secret travels in.
func secretForms(sec string) []string {
	forms := []string{sec, url.QueryEscape(sec), url.PathEscape(sec)}
	if j, err := json.Marshal(sec); err == nil {
		forms = append(forms, strings.Trim(string(j), `"`))
	}
	if len(sec) >= 8 {
		// A secret inside a longer encoded text starts at any of three
		// byte alignments; the characters its bytes alone determine are
		// the same whatever surrounds it.
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			forms = append(forms, enc.EncodeToString([]byte(sec)))
			for k := 0; k < 3; k++ {
				full := enc.EncodeToString(append(make([]byte, k), sec...))
				from, to := (8*k+5)/6, (8*(k+len(sec)))/6
				if to-from >= 6 {
					forms = append(forms, full[from:to])
				}
			}
		}
	}
	var out []string
	for _, f := range forms {
		if len(f) >= 4 {
			out = append(out, f)
		}
	}
	return out
}

// sortPairsByLength orders old/new pairs by decreasing length of old.
func sortPairsByLength(pairs []string) {
	type pair struct{ old, new string }
	ps := make([]pair, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		ps = append(ps, pair{pairs[i], pairs[i+1]})
	}
	slices.SortStableFunc(ps, func(a, b pair) int { return len(b.old) - len(a.old) })
	for i, p := range ps {
		pairs[2*i], pairs[2*i+1] = p.old, p.new
	}
}

// Redacted returns a deep copy of r that any writer may show whole: the
// URLs of r.Target and r.Spec without their userinfo, and then every
// string anywhere in the copy (fields at any depth, slice and array
// elements, map keys and values) made Printable (control characters
// escaped, invalid UTF-8 replaced) and then passed through Redact with
// secrets.
//
// It walks the value by reflection, so a field added to the model is
// redacted without a line here. The copy shares no slice, map or pointer
// with r: changing it leaves r as it was. Redacting fields rather than
// rendered output also catches a secret that an output's escaping (XML,
// HTML, Markdown) would disguise.
func Redacted(r *Report, secrets ...string) *Report {
	if r == nil {
		return nil
	}
	c := *r
	c.Target.AuthURL = StripUserinfo(c.Target.AuthURL)
	c.Target.BackendURL = StripUserinfo(c.Target.BackendURL)
	c.Target.WSURL = StripUserinfo(c.Target.WSURL)
	c.Spec = c.Spec.Redacted()
	out := reflect.New(reflect.TypeFor[Report]()).Elem()
	redactValue(out, reflect.ValueOf(c), NewRedactor(secrets...))
	rep := out.Interface().(Report)
	return &rep
}

// redactValue sets dst, a settable value of src's type, to a deep copy
// of src with every string redacted.
func redactValue(dst, src reflect.Value, secrets *Redactor) {
	switch src.Kind() {
	case reflect.String:
		dst.SetString(secrets.Redact(Printable(src.String())))
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		redactValue(p.Elem(), src.Elem(), secrets)
		dst.Set(p)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		e := reflect.New(src.Elem().Type()).Elem()
		redactValue(e, src.Elem(), secrets)
		dst.Set(e)
	case reflect.Struct:
		// A copy of the whole value first keeps unexported fields (a
		// time.Time's); exported fields are then copied deeply.
		dst.Set(src)
		for i := range src.NumField() {
			if src.Type().Field(i).IsExported() {
				redactValue(dst.Field(i), src.Field(i), secrets)
			}
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			redactValue(s.Index(i), src.Index(i), secrets)
		}
		dst.Set(s)
	case reflect.Array:
		for i := range src.Len() {
			redactValue(dst.Index(i), src.Index(i), secrets)
		}
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		keys := src.MapKeys()
		if src.Type().Key().Kind() == reflect.String {
			// In key order, so that two keys redacted alike merge the same
			// way every time.
			slices.SortFunc(keys, func(a, b reflect.Value) int { return cmp.Compare(a.String(), b.String()) })
		}
		for _, k := range keys {
			nk := reflect.New(k.Type()).Elem()
			redactValue(nk, k, secrets)
			nv := reflect.New(src.Type().Elem()).Elem()
			redactValue(nv, src.MapIndex(k), secrets)
			if old := m.MapIndex(nk); old.IsValid() {
				// Two keys that differed only by a secret: counts add up,
				// anything else keeps the first.
				switch nv.Kind() {
				case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
					nv.SetInt(nv.Int() + old.Int())
				case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
					nv.SetUint(nv.Uint() + old.Uint())
				default:
					continue
				}
			}
			m.SetMapIndex(nk, nv)
		}
		dst.Set(m)
	default:
		// Numbers, booleans, and anything that holds no string.
		dst.Set(src)
	}
}
