package reports

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// jwtPattern matches compact JWS/JWE-looking strings: base64url segments
// joined by dots whose first segment starts like a JSON header.
var jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*){1,4}`)

// Redact replaces every JWT-looking string in s with a fingerprint, and
// every given secret with "[redacted]", so that no report holds a whole
// token or secret. Secrets shorter than 4 characters are ignored.
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

// Redacted returns a deep copy of r that any writer may show whole: the
// URLs of r.Target and r.Spec without their userinfo, and then every
// string anywhere in the copy (fields at any depth, slice and array
// elements, map keys and values) passed through Redact with secrets.
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
	redactValue(out, reflect.ValueOf(c), secrets)
	rep := out.Interface().(Report)
	return &rep
}

// redactValue sets dst, a settable value of src's type, to a deep copy
// of src with every string redacted.
func redactValue(dst, src reflect.Value, secrets []string) {
	switch src.Kind() {
	case reflect.String:
		dst.SetString(Redact(src.String(), secrets...))
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
