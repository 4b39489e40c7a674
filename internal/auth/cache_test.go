package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/ent/apikey"
	"github.com/qualify/qualify/ent/user"
	"github.com/qualify/qualify/internal/auth"
	"github.com/qualify/qualify/internal/testenv"
)

// A verified token is not verified again while it lives (the signature check was a twentieth of
// a node's CPU), but it serves no longer than its exp, a token with one byte changed is verified
// on its own, and the user behind it is still re-checked.
func TestVerifiedTokenIsCachedForItsLifetime(t *testing.T) {
	db := testenv.SQLite(t)
	ctx := context.Background()
	secret := []byte("token-cache-secret-of-at-least-32-bytes!")
	a, err := auth.New(ctx, db.Client, auth.Config{Secret: secret, Leeway: time.Nanosecond, UserCacheTTL: time.Nanosecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	auth.SetClock(a, func() time.Time { return now })
	u := db.Client.User.Create().SetName("Cy").SetEmail("cy@example.com").SetRole(user.RoleAE).SetTeam("na").SaveX(ctx)
	tok, _ := auth.Mint(secret, "", "", "ae", "na", u.ID, time.Minute)
	for range 3 {
		if _, err := a.Authenticate(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := auth.Verifications(a); n != 1 {
		t.Errorf("three uses of one token verified it %d times, want 1", n)
	}
	forged := tok[:len(tok)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(tok, "AA")]
	if _, err := a.Authenticate(ctx, forged); err == nil {
		t.Error("a token with a changed signature was accepted after the real one was cached")
	}
	u.Update().SetActive(false).ExecX(ctx)
	now = now.Add(time.Millisecond)
	if _, err := a.Authenticate(ctx, tok); err == nil {
		t.Error("a cached token of a deactivated user was accepted")
	}
	u.Update().SetActive(true).ExecX(ctx)
	now = now.Add(time.Minute + time.Second) // past exp
	if _, err := a.Authenticate(ctx, tok); err == nil {
		t.Error("a cached token was accepted after its exp")
	}
}

// An API key is looked up once per user-cache TTL; a revocation through Keys.Revoke is seen at
// once, one made elsewhere (another replica) within the TTL.
func TestAPIKeyLookupIsCached(t *testing.T) {
	db := testenv.SQLite(t)
	ctx := context.Background()
	a, err := auth.New(ctx, db.Client, auth.Config{UserCacheTTL: 2 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	auth.SetClock(a, func() time.Time { return now })
	rec, key, err := a.Keys().Create(ctx, auth.NewKey{Name: "ci", Role: apikey.RoleANALYST})
	if err != nil {
		t.Fatal(err)
	}
	_, other, _ := a.Keys().Create(ctx, auth.NewKey{Name: "ci2", Role: apikey.RoleANALYST})
	for range 3 {
		if _, err := a.Authenticate(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	if n := auth.KeyLookups(a); n != 1 {
		t.Errorf("three uses of one key read it %d times, want 1", n)
	}
	if _, err := a.Keys().Revoke(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, key); err == nil {
		t.Error("a key revoked through this replica was accepted")
	}
	// Revoked behind the cache's back, as another replica would.
	if _, err := a.Authenticate(ctx, other); err != nil {
		t.Fatal(err)
	}
	db.Client.APIKey.Update().Where(apikey.Name("ci2")).SetRevokedAt(now).ExecX(ctx)
	now = now.Add(2 * time.Second)
	if _, err := a.Authenticate(ctx, other); err == nil {
		t.Error("a key revoked elsewhere was accepted after the TTL")
	}
}
