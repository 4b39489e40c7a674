package auth_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/auth"
	"github.com/qualify/qualify/internal/testenv"
)

// Development mode's demo users exist once, and their printed tokens work.
func TestEnsureDevUsers(t *testing.T) {
	db := testenv.SQLite(t)
	api := apitest.Start(t, db)
	cfg := auth.Config{Secret: []byte(apitest.Secret), Issuer: apitest.Issuer, Audience: apitest.Audience}
	first, err := auth.EnsureDevUsers(context.Background(), db.Client, cfg, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	again, err := auth.EnsureDevUsers(context.Background(), db.Client, cfg, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]bool{}
	for i, u := range first {
		roles[u.Role] = true
		if again[i].User.ID != u.User.ID {
			t.Errorf("%s: a second run made another user", u.Role)
		}
		var v struct {
			Viewer struct {
				Role string
				User struct{ ID string }
			}
		}
		api.WithAuthorization("Bearer "+u.Token).Data(t, `{ viewer { role user { id } } }`, nil, &v)
		if v.Viewer.Role != u.Role || v.Viewer.User.ID != strconv.Itoa(u.User.ID) {
			t.Errorf("%s token: viewer %+v", u.Role, v.Viewer)
		}
	}
	for _, r := range []string{"bdr", "ae", "revops", "analyst", "admin"} {
		if !roles[r] {
			t.Errorf("no demo %s", r)
		}
	}
}
