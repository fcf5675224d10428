package load

import (
	"context"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/fixtures/sut"
	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/profile"
)

// ReferenceEnv starts the reference services in-process and returns an
// Env for them, with bypass users; they stop when the test ends. It is
// exported to this package's external tests too (load_test).
func ReferenceEnv(t testing.TB) *harness.Env {
	t.Helper()
	s, err := sut.Start(context.Background(), sut.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	env, err := harness.NewEnv(harness.Target{
		Kind: "local", AuthURL: s.AuthURL, BackendURL: s.BackendURL, WSURL: s.WSURL, Origin: sut.DefaultOrigin,
		Users: profile.UsersBypass, BypassKey: s.BypassKey, ServiceID: s.HarnessServiceID, ServiceSecret: s.HarnessServiceSecret,
		SigningKey: s.SigningKey, Profile: profile.Default(), SLA: harness.DefaultSLA(), RequestTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return env
}
