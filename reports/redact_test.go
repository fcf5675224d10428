package reports

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	testJWT    = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	testSecret = "s3cr3t-value"
)

func TestRedact(t *testing.T) {
	got := Redact("token "+testJWT+" and "+testSecret+" and abc", testSecret, "abc")
	if strings.Contains(got, testJWT) || strings.Contains(got, "eyJhbGciOiJIUzI1NiJ9") || strings.Contains(got, testSecret) {
		t.Errorf("Redact left a token or secret: %q", got)
	}
	if !strings.Contains(got, "[token sha256:") || !strings.Contains(got, "[redacted]") || !strings.HasSuffix(got, " abc") {
		t.Errorf("Redact = %q; want a fingerprint, [redacted], and a short secret left alone", got)
	}
	if Redact(testJWT) != Redact(testJWT) || Redact(testJWT) == Redact(testJWT+"x") {
		t.Error("fingerprints are not stable per token")
	}
}

// TestRedactedCoversEveryField fills every string in the model with a
// secret and checks that Redacted leaves none, so that a field added to
// the model can never leak.
func TestRedactedCoversEveryField(t *testing.T) {
	r := &Report{}
	fill(reflect.ValueOf(r).Elem())
	red := Redacted(r, testSecret)
	var leak func(v reflect.Value, path string)
	leak = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.String:
			if strings.Contains(v.String(), testSecret) {
				t.Errorf("%s is not redacted", path)
			}
		case reflect.Pointer:
			if v.IsNil() {
				t.Errorf("%s was dropped", path)
				return
			}
			leak(v.Elem(), path)
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					leak(v.Field(i), path+"."+v.Type().Field(i).Name)
				}
			}
		case reflect.Slice, reflect.Map:
			if v.Len() == 0 {
				t.Errorf("%s was emptied", path)
			}
			if v.Kind() == reflect.Map {
				for _, k := range v.MapKeys() {
					leak(k, path+"{key}")
					leak(v.MapIndex(k), path+"{}")
				}
				return
			}
			for i := range v.Len() {
				leak(v.Index(i), path+"[]")
			}
		}
	}
	leak(reflect.ValueOf(red).Elem(), "Report")
	if !red.StartedAt.Equal(r.StartedAt) {
		t.Errorf("StartedAt %v, want %v", red.StartedAt, r.StartedAt)
	}
}

// TestRedactedDoesNotAlias changes everything in a redacted copy and
// checks that the report it was made from stays as it was.
func TestRedactedDoesNotAlias(t *testing.T) {
	r := &Report{}
	fill(reflect.ValueOf(r).Elem())
	before, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	red := Redacted(r, testSecret)
	shared(t, reflect.ValueOf(r).Elem(), reflect.ValueOf(red).Elem(), "Report")
	scribble(reflect.ValueOf(red).Elem())
	after, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Errorf("changing the redacted copy changed the report:\nbefore %s\nafter  %s", before, after)
	}
}

// shared fails when a and b, values of one type, share a slice's array,
// a map or a pointer's target anywhere.
func shared(t *testing.T, a, b reflect.Value, path string) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			t.Errorf("%s: the copy shares a pointer", path)
		}
		if !a.IsNil() && !b.IsNil() {
			shared(t, a.Elem(), b.Elem(), path)
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				shared(t, a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
			}
		}
	case reflect.Slice:
		if a.Len() > 0 && b.Len() > 0 && a.Pointer() == b.Pointer() {
			t.Errorf("%s: the copy shares a slice", path)
		}
		for i := range min(a.Len(), b.Len()) {
			shared(t, a.Index(i), b.Index(i), path+"[]")
		}
	case reflect.Map:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			t.Errorf("%s: the copy shares a map", path)
		}
	}
}

// scribble changes every string, slice element and map reachable from v.
func scribble(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("changed")
	case reflect.Pointer:
		if !v.IsNil() {
			scribble(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				scribble(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			scribble(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			scribble(e)
			v.SetMapIndex(k, e)
		}
		k := reflect.New(v.Type().Key()).Elem()
		scribble(k)
		v.SetMapIndex(k, reflect.New(v.Type().Elem()).Elem())
	}
}

// fill sets every string reachable from v to one holding testSecret, and
// gives every slice, map and pointer one element.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x " + testSecret)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i))
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		e := reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	}
}

func TestRedactedStripsUserinfo(t *testing.T) {
	r := &Report{
		Target: SUT{Kind: "remote", AuthURL: "https://svc:pw1@auth.example/v1", BackendURL: "https://api.example",
			WSURL: "wss://u:pw2@chat.example/ws?x=1"},
		Spec: RunSpec{AuthURL: "https://svc:pw1@auth.example/v1", WSURL: "wss://u:pw2@chat.example/ws?x=1",
			Origin: "https://o:pw3@app.example"},
	}
	red := Redacted(r)
	b, err := json.Marshal(red)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"pw1", "pw2", "pw3", "svc:", "@"} {
		if strings.Contains(string(b), bad) {
			t.Errorf("redacted report holds %q: %s", bad, b)
		}
	}
	if red.Target.AuthURL != "https://auth.example/v1" || red.Spec.WSURL != "wss://chat.example/ws?x=1" || red.Spec.Origin != "https://app.example" {
		t.Errorf("URLs %q %q %q", red.Target.AuthURL, red.Spec.WSURL, red.Spec.Origin)
	}
	if r.Target.AuthURL != "https://svc:pw1@auth.example/v1" {
		t.Error("Redacted changed the report it copied")
	}
}

func TestRedactedMergesKeysRedactedAlike(t *testing.T) {
	r := &Report{FindingsByKind: map[Kind]int{"idor-aaaa": 2, "idor-bbbb": 3, "idor": 1}}
	red := Redacted(r, "aaaa", "bbbb")
	if want := map[Kind]int{"idor-[redacted]": 5, "idor": 1}; !reflect.DeepEqual(red.FindingsByKind, want) {
		t.Errorf("FindingsByKind %v, want %v", red.FindingsByKind, want)
	}
}

func TestRedactedKeepsEmptyAndNil(t *testing.T) {
	if Redacted(nil) != nil {
		t.Error("Redacted(nil) is not nil")
	}
	r := &Report{Findings: []Finding{}, FindingsByKind: map[Kind]int{}}
	red := Redacted(r)
	b1, _ := json.Marshal(r)
	b2, _ := json.Marshal(red)
	if string(b1) != string(b2) {
		t.Errorf("Redacted changed a report with nothing to redact:\n%s\n%s", b1, b2)
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text\nline two\tcol", "plain text\nline two\tcol"},
		{"\x1b]0;pwned\x07title", `\x1b]0;pwned\x07title`},
		{"\x1b[2Jclear", `\x1b[2Jclear`},
		{"bad \xff\xfe utf8", "bad \ufffd\ufffd utf8"},
		{"c1 \u009b control", `c1 \u009b control`},
		{"del \x7f", `del \x7f`},
		{"ünïcødé ✓", "ünïcødé ✓"},
	}
	for _, tt := range tests {
		if got := Printable(tt.in); got != tt.want {
			t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestRedactEveryEncoding: a secret or a token is redacted in every form
// it travels in, wherever it sits in the text.
func TestRedactEveryEncoding(t *testing.T) {
	const secret = "s3cr3t-service-key/with+odd=chars"
	const token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEiLCJleHAiOjE5OTk5OTk5OTl9.c2lnbmF0dXJlLWJ5dGVz"
	j, _ := json.Marshal(secret)
	forms := map[string]string{
		"plain":           secret,
		"query-escaped":   url.QueryEscape(secret),
		"path-escaped":    url.PathEscape(secret),
		"json-escaped":    strings.Trim(string(j), `"`),
		"base64":          base64.StdEncoding.EncodeToString([]byte(secret)),
		"base64url raw":   base64.RawURLEncoding.EncodeToString([]byte(secret)),
		"base64 offset 1": base64.StdEncoding.EncodeToString([]byte("x" + secret + "y")),
		"base64 offset 2": base64.RawURLEncoding.EncodeToString([]byte("Bearer: " + secret)),
		"url userinfo":    "https://gpcheck:" + secret + "@staging.example/x",
	}
	for name, form := range forms {
		got := Redact("echo: <"+form+"> end", secret)
		if strings.Contains(got, form) || strings.Contains(got, secret) {
			t.Errorf("%s: %q still holds the secret", name, got)
		}
	}
	for name, form := range map[string]string{
		"plain":          token,
		"subprotocol":    "jwt." + base64.RawURLEncoding.EncodeToString([]byte(token)),
		"base64":         base64.StdEncoding.EncodeToString([]byte(token)),
		"json in frames": `{"token":"` + token + `"}`,
	} {
		got := Redact("echo: "+form, secret)
		if strings.Contains(got, token[:40]) || strings.Contains(got, form) || !strings.Contains(got, "[token sha256:") {
			t.Errorf("%s: %q", name, got)
		}
	}
	if got := Redact("nothing secret here: ZXlKb.3 https://host/path", secret); got != "nothing secret here: ZXlKb.3 https://host/path" {
		t.Errorf("clean text changed: %q", got)
	}
}
