package profile

import (
	"testing"
	"time"
)

// TestShippedProfiles loads the profiles shipped in profiles/: each is
// valid, and netra's declares what the platform does.
func TestShippedProfiles(t *testing.T) {
	p, err := Load("../../profiles/netra.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "netra" || p.ServiceAuth.ID != "netra-backend" || p.Policy.Leeway == nil || *p.Policy.Leeway.Duration() != 0 ||
		p.Policy.IATSkew == nil || *p.Policy.IATSkew.Duration() != 60*time.Second || p.Paths.WS != "/ws" || p.WSAuth != "both" ||
		p.Policy.Issuer != "netra-auth-service" || p.Policy.Audience != "netra-platform" ||
		len(p.Statuses.Register) != 1 || p.Statuses.Register[0] != 200 {
		t.Errorf("netra profile read as %+v", p)
	}
}
