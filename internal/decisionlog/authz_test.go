package decisionlog_test

import (
	"context"
	"testing"

	entdl "github.com/qualify/qualify/ent/decisionlog"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// Authorisation decisions are logged at the configured sample rate (here one in two), with the
// caller; they are about no lead, so only an unrestricted caller finds them by id.
func TestAuthzDecisionsSampled(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db, func(c *app.Config) { c.AuthzLogRate = 0.5 })
		bdr := api.As(t, "bdr", "emea-bdr", "")
		for range 4 {
			bdr.Data(t, `{ leads(first: 1) { totalCount } }`, nil, &struct{}{})
		}
		rows, err := db.Client.DecisionLog.Query().Where(entdl.KindEQ(entdl.KindAUTHZ), entdl.CallerRole("bdr")).All(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 {
			t.Fatalf("%d authz decisions of the bdr logged at rate 0.5 of 4, want 2", len(rows))
		}
		d := rows[0]
		if d.Path != "qualify/authz/decision" || d.RevisionHash != api.App.Engine.Active().Hash() || d.Result["allow"] != true {
			t.Errorf("logged authz decision: %+v", d)
		}
		var got struct{ Decision *struct{ Kind string } }
		api.Data(t, `query($id: String!) { decision(id: $id) { kind } }`, map[string]any{"id": d.DecisionID}, &got)
		if got.Decision == nil || got.Decision.Kind != "AUTHZ" {
			t.Errorf("admin: decision(%s) = %+v", d.DecisionID, got.Decision)
		}
		bdr.Data(t, `query($id: String!) { decision(id: $id) { kind } }`, map[string]any{"id": d.DecisionID}, &got)
		if got.Decision != nil {
			t.Errorf("a rep sees an authz decision about no lead")
		}
	})
}
