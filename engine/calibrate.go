package engine

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/harness/load"
	"github.com/gpcheck/gpcheck/harness/tokens"
	"github.com/gpcheck/gpcheck/reports"
)

// calibrate proves gpcheck's own footing before any spec judges, so that
// a setup mistake is one clear line rather than a finding against the
// system: a token the auth service has just issued must validate with
// the service credentials gpcheck was given, and the signing key, when
// gpcheck has one, must sign tokens the auth service accepts.
func calibrate(ctx context.Context, env *harness.Env, spec Spec) error {
	plans, _ := load.Plans(load.Options{Users: 1, Seed: spec.Seed ^ 0x63616c6962726174, Abandoners: -1, ExtraConnectionEvery: -1})
	p := plans[0]
	p.Email = "calibrate-" + p.Email
	se, err := (&flow.Driver{Env: env}).Login(ctx, p)
	if err != nil {
		return &UnreachableError{fmt.Errorf("calibration: a test user could not log in: %w", err)}
	}
	env.Target.ClockOffset = clockOffset(se.AccessToken, time.Now())
	t := env.Target
	v, err := env.Auth.Validate(ctx, se.AccessToken)
	var st *client.StatusError
	switch {
	case errors.As(err, &st) && (st.Status == 401 || st.Status == 403 || client.IsServiceCredentialCode(st.Code)):
		return setupf("the auth service refused gpcheck's service credentials at %s (%s): %s",
			t.Profile.Paths.Validate, statusText(st), credentialsHint(t))
	case errors.As(err, &st) && (st.Status == 404 || st.Status == 405):
		return setupf("the auth service answers %s at %s: the validate path is wrong (the profile's paths.validate)", statusText(st), t.Profile.Paths.Validate)
	case errors.As(err, &st):
		return &UnreachableError{fmt.Errorf("calibration: the auth service's validate answered %s", statusText(st))}
	case err != nil && strings.Contains(err.Error(), "invalid JSON"):
		return setupf("the auth service's validate answer does not parse: %v", err)
	case err != nil:
		return &UnreachableError{fmt.Errorf("calibration: %w", err)}
	case !v.HasValid:
		return setupf("the auth service's validate answer has no boolean \"valid\" field; gpcheck cannot read its verdicts")
	case !v.Valid:
		return setupf("a token the auth service has just issued does not validate (%s): %s", orNone(v.Error), credentialsHint(t))
	}
	if _, _, err := env.API.Profile(ctx, se.AccessToken); t.Reached("backend") && errors.As(err, &st) && (st.Status == 404 || st.Status == 405) {
		return setupf("the backend answers %s at %s to a valid token: --backend-url %s does not look like the backend (or the profile's paths.profile is wrong)",
			statusText(st), t.Profile.Paths.Profile, harnessURL(t.BackendURL))
	}
	if t.SigningKey == nil {
		return nil
	}
	ok, code, err := keyAccepted(ctx, env, se.AccessToken, t.SigningKey)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	if spec.SigningKeyFile != "" {
		format := spec.SigningKeyFormat
		if format == "" {
			format = "raw"
		}
		for _, other := range []string{"raw", "hex", "base64"} {
			if other == format {
				continue
			}
			key, kerr := readKeyFile(spec.SigningKeyFile, other)
			if kerr != nil {
				continue
			}
			if ok, _, err := keyAccepted(ctx, env, se.AccessToken, key); err == nil && ok {
				return setupf("--signing-key-file: the auth service rejects tokens signed with the key read as %s (%s) and accepts them with the key read as %s: use --signing-key-format %s",
					format, orNone(code), other, other)
			}
		}
	}
	return setupf("%s: the signing key does not match the auth service: a token it issued, re-signed with the key, is rejected (%s)", keySource(spec), orNone(code))
}

// keySource names the setting the signing key came from, for setup
// errors: --signing-key-var NAME (compose) or --signing-key-file.
func keySource(spec Spec) string {
	if spec.SigningKeyVar != "" {
		return "--signing-key-var " + spec.SigningKeyVar
	}
	return "--signing-key-file"
}

// keyAccepted re-signs an issued token with key and asks the auth
// service about it.
func keyAccepted(ctx context.Context, env *harness.Env, issued string, key []byte) (bool, string, error) {
	control, err := tokens.Reissue(issued, key, time.Now().Add(5*time.Minute))
	if err != nil {
		return false, "", setupf("--signing-key-file: re-sign an issued token: %v", err)
	}
	v, err := env.Auth.Validate(ctx, control)
	var st *client.StatusError
	switch {
	case errors.As(err, &st):
		return false, statusText(st), nil
	case err != nil:
		return false, "", &UnreachableError{fmt.Errorf("calibration: %w", err)}
	}
	return v.Valid, v.Error, nil
}

func credentialsHint(t harness.Target) string {
	switch {
	case t.ServiceSecret == "":
		return "set GPCHECK_SERVICE_SECRET (or service_secret_file), and GPCHECK_SERVICE_ID when the service expects an id other than \"gpcheck\""
	default:
		return fmt.Sprintf("check GPCHECK_SERVICE_ID (gpcheck sends %q) and GPCHECK_SERVICE_SECRET", t.ServiceID)
	}
}

func statusText(st *client.StatusError) string {
	if st.Code != "" {
		return fmt.Sprintf("HTTP %d %s", st.Status, st.Code)
	}
	return fmt.Sprintf("HTTP %d", st.Status)
}

func orNone(code string) string {
	if code == "" {
		return "no error code"
	}
	return code
}

// readKeyFile reads a signing key in format: raw (the file's bytes, a
// trailing newline trimmed: what a platform that reads the key from an
// environment variable uses), hex or base64 (standard or URL alphabet,
// padded or not).
func readKeyFile(path, format string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text := strings.TrimRight(string(b), "\r\n")
	if text == "" {
		return nil, errors.New("the file is empty")
	}
	k, err := keyFromText(text, format)
	if errors.Is(err, errNotHex) || errors.Is(err, errNotBase64) {
		return nil, fmt.Errorf("the file is %w", err)
	}
	return k, err
}

// The formats a key's text may fail to be in.
var (
	errNotHex    = errors.New("not hex")
	errNotBase64 = errors.New("not base64")
)

// keyFromText reads a signing key held in text (a file's, or a compose
// variable's), in format: raw (the text as it is; the default), hex or
// base64 (standard or URL alphabet, padded or not). Its errors never
// quote the text.
func keyFromText(text, format string) ([]byte, error) {
	text = strings.TrimRight(text, "\r\n")
	switch format {
	case "", "raw":
		return []byte(text), nil
	case "hex":
		k, err := hex.DecodeString(strings.TrimSpace(text))
		if err != nil {
			return nil, errNotHex // never quote a secret
		}
		return k, nil
	case "base64":
		s := strings.TrimSpace(text)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if k, err := enc.DecodeString(s); err == nil && len(k) > 0 {
				return k, nil
			}
		}
		return nil, errNotBase64
	}
	return nil, fmt.Errorf("unknown --signing-key-format %q (want raw, hex or base64)", format)
}

// harnessURL is a URL as an error may show it: without userinfo.
func harnessURL(raw string) string { return reports.StripUserinfo(raw) }

// clockOffset is how far ahead of now the service's clock was when it
// issued tok, read from its iat; offsets under two seconds (iat has a
// second's resolution, and the login took time) are zero.
func clockOffset(tok string, now time.Time) time.Duration {
	c, err := tokens.Claims(tok)
	if err != nil {
		return 0
	}
	iat, ok := c["iat"].(float64)
	if !ok {
		return 0
	}
	d := time.Unix(int64(iat), 0).Sub(now)
	if d > -2*time.Second && d < 2*time.Second {
		return 0
	}
	return d.Round(time.Second)
}
