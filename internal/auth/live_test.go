package auth_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/qualify/qualify/ent/user"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/auth"
	"github.com/qualify/qualify/internal/testenv"
)

// A token's user is read again once the cache's TTL has passed: a deactivated user is refused,
// a moved one acts with the new team and role; until then the cached state serves.
func TestPrincipalFollowsTheUserTable(t *testing.T) {
	db := testenv.SQLite(t)
	ctx := context.Background()
	secret := []byte("live-users-secret-of-at-least-32-bytes!")
	a, err := auth.New(ctx, db.Client, auth.Config{Secret: secret, UserCacheTTL: 3 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	auth.SetUserClock(a, func() time.Time { return now })
	u := db.Client.User.Create().SetName("Bea").SetEmail("bea@example.com").SetRole(user.RoleBDR).SetTeam("emea").SaveX(ctx)
	tok, _ := auth.Mint(secret, "", "", "admin", "it", u.ID, time.Hour) // the token claims more than the user has
	p, err := a.Authenticate(ctx, tok)
	if err != nil || p.Role != "bdr" || p.Team != "emea" {
		t.Fatalf("principal %+v, %v; want the stored role bdr and team emea", p, err)
	}
	u.Update().SetTeam("na").SetRole(user.RoleAE).ExecX(ctx)
	now = now.Add(2 * time.Second)
	if p, _ := a.Authenticate(ctx, tok); p.Team != "emea" {
		t.Errorf("within the TTL: team %q, want the cached emea", p.Team)
	}
	now = now.Add(time.Second)
	if p, _ := a.Authenticate(ctx, tok); p.Team != "na" || p.Role != "ae" {
		t.Errorf("after the TTL: %+v, want ae of na", p)
	}
	u.Update().SetActive(false).ExecX(ctx)
	now = now.Add(3 * time.Second)
	if _, err := a.Authenticate(ctx, tok); err == nil {
		t.Error("a deactivated user's token was accepted after the TTL")
	}
}

// Over HTTP: an admin deactivates a user; the user's token is refused (401) from the next
// request on once the cache has expired (TTL of a nanosecond here, so no waiting).
func TestDeactivatedUserIsRefused(t *testing.T) {
	api := apitest.Start(t, testenv.SQLite(t), func(c *app.Config) { c.Auth.UserCacheTTL = time.Nanosecond })
	var u struct{ CreateUser struct{ ID string } }
	api.Data(t, `mutation { createUser(input: {name: "Rep", email: "rep@example.com", role: BDR, team: "emea"}) { id } }`, nil, &u)
	rep := api.As(t, "bdr", "emea", u.CreateUser.ID)
	if r := rep.Do(t, viewerQuery, nil); r.Status != http.StatusOK {
		t.Fatalf("active user refused: %d %+v", r.Status, r.Errors)
	}
	api.Data(t, `mutation($id: ID!) { updateUser(id: $id, input: {active: false}) { id } }`, map[string]any{"id": u.CreateUser.ID}, &struct{}{})
	r := rep.Do(t, viewerQuery, nil)
	if r.Status != http.StatusUnauthorized || len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Errorf("deactivated user: status %d %+v", r.Status, r.Errors)
	}
}
