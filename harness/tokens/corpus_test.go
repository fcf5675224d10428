package tokens_test

import (
	"context"
	"crypto/rand"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/fixtures/auth"
	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/tokens"
)

// TestCorpusAgainstReferenceAuth checks every case's expected verdict
// against the reference auth service: the corpus and the reference agree.
func TestCorpusAgainstReferenceAuth(t *testing.T) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	svc, err := auth.New(auth.Options{SigningKey: key, BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a := &client.Auth{BaseURL: srv.URL, HTTP: client.NewHTTPClient(5 * time.Second)}
	alice, err := a.Register(ctx, "alice@gpcheck.test", "pw-alice-123", "Alice")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := a.Register(ctx, "bob@gpcheck.test", "pw-bob-123", "Bob")
	if err != nil {
		t.Fatal(err)
	}
	old, err := a.Login(ctx, "alice@gpcheck.test", "pw-alice-123")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Logout(ctx, old.AccessToken); err != nil {
		t.Fatal(err)
	}
	m := tokens.Material{Access: alice.AccessToken, Refresh: alice.RefreshToken, Revoked: old.AccessToken,
		OtherUserID: bob.User.ID, Key: key, Issuer: "gp-auth", Audience: "gp-platform", Now: time.Now()}

	cases := tokens.Corpus()
	if len(cases) < 40 {
		t.Errorf("corpus has %d cases, want at least 40", len(cases))
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.ID] || seen[c.Name] {
			t.Errorf("duplicate case %s %q", c.ID, c.Name)
		}
		seen[c.ID], seen[c.Name] = true, true
		t.Run(c.ID+" "+c.Name, func(t *testing.T) {
			tok, err := c.Build(m)
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			v, err := a.Validate(ctx, tok)
			if err != nil {
				t.Fatalf("validate: %v", err)
			}
			if got := tokens.Want(map[bool]string{true: "accept", false: "reject"}[v.Valid]); got != c.Want {
				t.Fatalf("auth says %s (%s), corpus wants %s", got, v.Error, c.Want)
			}
			if v.Valid && v.UserID != alice.User.ID {
				t.Errorf("accepted as %q, want alice %q", v.UserID, alice.User.ID)
			}
		})
	}
}

func TestKeyedCasesSayWhenKeyIsMissing(t *testing.T) {
	m := tokens.Material{Access: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", Now: time.Now()}
	n := 0
	for _, c := range tokens.Corpus() {
		if !c.NeedsKey {
			continue
		}
		n++
		if _, err := c.Build(m); err != tokens.ErrNeedsKey {
			t.Errorf("%s without a key: err = %v, want ErrNeedsKey", c.Name, err)
		}
	}
	if n == 0 {
		t.Error("no keyed cases")
	}
}
