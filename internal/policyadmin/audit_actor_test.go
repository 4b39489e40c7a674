package policyadmin_test

import (
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// The audit trail names the people who acted (actorUser), loaded with the page of events; an
// actor that is no user (a token without one) has none.
func TestAuditActorsByName(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		annID, bobID := api.User(t, "Ann", "REVOPS", "revops"), api.User(t, "Bob", "ADMIN", "revops")
		const approve = `mutation($m: String!) { approvePolicyDraft(input: {draft: {changed: []}, message: $m}) { hash } }`
		for _, c := range []struct {
			as  *apitest.Instance
			msg string
		}{
			{api.As(t, "revops", "", annID), "by ann"},
			{api.As(t, "admin", "", bobID), "by bob"},
			{api.As(t, "revops", "", ""), "by a token"},
		} {
			var ok struct{ ApprovePolicyDraft struct{ Hash string } }
			c.as.Data(t, approve, map[string]any{"m": c.msg}, &ok)
		}

		var out struct {
			AuditEvents struct {
				Edges []struct {
					Node struct {
						Message   string
						Actor     string
						ActorUser *struct{ ID, Name, Role string }
					}
				}
			}
		}
		api.Data(t, `{ auditEvents(first: 10, orderBy: {field: OCCURRED_AT, direction: ASC}) { edges { node { message actor actorUser { id name role } } } } }`, nil, &out)
		want := map[string]string{"by ann": "Ann/" + annID + "/REVOPS", "by bob": "Bob/" + bobID + "/ADMIN", "by a token": ""}
		got := map[string]string{}
		for _, e := range out.AuditEvents.Edges {
			n := e.Node
			if n.ActorUser != nil {
				got[n.Message] = n.ActorUser.Name + "/" + n.ActorUser.ID + "/" + n.ActorUser.Role
			} else {
				got[n.Message] = ""
			}
		}
		if len(got) != len(want) {
			t.Fatalf("audit events %+v, want the three approvals", out.AuditEvents.Edges)
		}
		for m, w := range want {
			if got[m] != w {
				t.Errorf("approval %q: actorUser %q, want %q", m, got[m], w)
			}
		}
	})
}
