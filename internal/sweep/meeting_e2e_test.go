package sweep_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/qualify/qualify/ent/leadescalation"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

type meetingLead struct {
	ID        string
	Stage     struct{ Key string }
	Owner     *struct{ ID string }
	Decisions struct {
		Edges []struct {
			Node struct{ Kind, Trigger, Revision, RevisionHash string }
		}
	}
}

const meetingLeadFields = `id stage { key } owner { id }
	decisions(first: 50) { edges { node { kind trigger revision revisionHash } } }`

// An SQL without a meeting in 14 calendar days goes back to its BDR (config.schedule.activity_slas
// sql_meeting): the BDR owns the SAL, routing hands the SQL to an AE, and a sweep past the
// deadline gives the lead without a meeting back to the BDR, once, with the schedule decision
// (trigger schedule, the revision) on its history; the lead with a meeting stays the AE's, and a
// lead that never had another owner is not handed anywhere, with the escalation saying why.
func TestSQLWithoutMeetingGoesBackToItsBDR(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		c := &clock{t: monday}
		api := apitest.Start(t, db, func(cfg *app.Config) { cfg.Clock = c.Now; cfg.Sweep.Interval = -1 })
		ben := api.User(t, "Ben", "BDR", "emea-bdr")
		ada := api.User(t, "Ada", "AE", "emea-ae")
		nia := api.User(t, "Nia", "BDR", "na-bdr")
		nick := api.User(t, "Nick", "AE", "na-ae")
		// account returns an account of region with a decision maker: an SQL's criteria.
		account := func(region string) (string, string) {
			t.Helper()
			var acc struct{ CreateAccount struct{ ID string } }
			api.Data(t, `mutation($r: AccountRegion!) { createAccount(input: {name: "Initech", industry: "software", employeeCount: 800, region: $r}) { id } }`,
				map[string]any{"r": region}, &acc)
			var dm struct{ CreateContact struct{ ID string } }
			api.Data(t, `mutation($a: ID!) { createContact(input: {lastName: "Lumbergh", buyingRole: DECISION_MAKER, seniority: VP, accountID: $a}) { id } }`,
				map[string]any{"a": acc.CreateAccount.ID}, &dm)
			return acc.CreateAccount.ID, dm.CreateContact.ID
		}
		get := func(id string) meetingLead {
			t.Helper()
			var out struct{ Node meetingLead }
			api.Data(t, `query($id: ID!) { node(id: $id) { ... on Lead { `+meetingLeadFields+` } } }`, map[string]any{"id": id}, &out)
			return out.Node
		}
		// sql creates a lead of region owned by owner and moves it to sal and then to sql as the
		// admin; routing gives the SAL to the region's BDR team and the SQL to its AE team, and
		// keeps the owner where the team has no member (APAC here). want: the SQL's owner.
		sql := func(region, owner, want string) string {
			t.Helper()
			a, c := account(region)
			var l struct{ CreateLead struct{ ID string } }
			api.Data(t, `mutation($a: ID!, $c: ID!, $o: ID!) { createLead(input: {lastName: "Gibbons", source: REFERRAL, need: YES, budget: YES, timing: YES, authority: NO,
				accountID: $a, contactIDs: [$c], ownerID: $o}) { id } }`, map[string]any{"a": a, "c": c, "o": owner}, &l)
			id := l.CreateLead.ID
			for _, to := range []string{"sal", "sql"} {
				if get(id).Stage.Key == to {
					continue
				}
				r := api.Do(t, `mutation($l: ID!, $to: String!) { transitionLead(input: {leadId: $l, toStage: $to, reason: "test"}) { lead { id } } }`,
					map[string]any{"l": id, "to": to})
				if len(r.Errors) > 0 {
					t.Fatalf("lead %s to %s: %+v", id, to, r.Errors)
				}
			}
			got := get(id)
			if got.Stage.Key != "sql" || got.Owner == nil || got.Owner.ID != want {
				t.Fatalf("lead %s: at %s owned by %+v, want sql owned by %s", id, got.Stage.Key, got.Owner, want)
			}
			return id
		}
		met, unmet := sql("EMEA", ben, ada), sql("EMEA", ben, ada)
		inactive, orphan := sql("NA", nia, nick), sql("APAC", ada, ada)
		api.Data(t, `mutation($id: ID!) { updateUser(id: $id, input: {active: false}) { id } }`, map[string]any{"id": nia}, &struct{}{})
		// The meeting on day 3 of the stay meets the rule.
		c.Set(monday.AddDate(0, 0, 3))
		api.Data(t, `mutation($l: ID!, $at: Time!) { createActivity(input: {kind: MEETING, leadID: $l, occurredAt: $at}) { id } }`,
			map[string]any{"l": met, "at": c.Now()}, &struct{}{})

		sweep := func() {
			t.Helper()
			if _, err := api.App.Sweeper.Run(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
		}
		// Before the deadline nothing is handed back.
		c.Set(monday.AddDate(0, 0, 14).Add(-time.Minute))
		sweep()
		if o := get(unmet).Owner; o == nil || o.ID != ada {
			t.Fatalf("handed back before the deadline: owner %+v", o)
		}
		// Past it, two sweeps: handed back once.
		c.Set(monday.AddDate(0, 0, 14).Add(time.Hour))
		sweep()
		c.Set(monday.AddDate(0, 0, 15))
		sweep()

		if o := get(met).Owner; o == nil || o.ID != ada {
			t.Errorf("the SQL with a meeting: owner %+v, want Ada %s", o, ada)
		}
		got := get(unmet)
		if got.Owner == nil || got.Owner.ID != ben {
			t.Errorf("the SQL without a meeting: owner %+v, want Ben %s", got.Owner, ben)
		}
		if got.Stage.Key != "sql" {
			t.Errorf("the SQL without a meeting moved to %s: automatic moves never go back", got.Stage.Key)
		}
		// The escalations of the rule: one per lead without a meeting, none for the met one.
		rows, err := db.Client.LeadEscalation.Query().Where(leadescalation.Rule("sql_meeting")).All(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		byLead := map[string]int{}
		for _, r := range rows {
			byLead[strconv.Itoa(r.LeadID)]++
			id := strconv.Itoa(r.LeadID)
			switch id {
			case unmet:
				if r.Action != leadescalation.ActionREASSIGN || r.ReassignedTo == nil || strconv.Itoa(*r.ReassignedTo) != ben || r.FlagNote != "" {
					t.Errorf("escalation of the lead without a meeting: %+v", r)
				}
				if r.OwnerID == nil || strconv.Itoa(*r.OwnerID) != ada || r.DueAt.Equal(time.Time{}) {
					t.Errorf("escalation owner/due: %+v", r)
				}
				// The schedule decision that did it is on the lead's history, with the revision.
				found := false
				for _, e := range got.Decisions.Edges {
					d := e.Node
					if d.Kind == "SCHEDULE" && d.Trigger == "schedule" && d.Revision == r.PolicyRevision && d.RevisionHash == r.PolicyHash {
						found = true
					}
				}
				if !found || r.PolicyRevision == "" {
					t.Errorf("no schedule decision of revision %q on the lead: %+v", r.PolicyRevision, got.Decisions.Edges)
				}
			case orphan:
				if r.ReassignedTo != nil || r.FlagNote != "no previous owner on the lead's stage history" {
					t.Errorf("escalation of the lead without a previous owner: %+v", r)
				}
			case inactive:
				if r.ReassignedTo != nil || r.FlagNote != "previous owner Nia is inactive" {
					t.Errorf("escalation of the lead whose BDR is inactive: %+v", r)
				}
			}
		}
		if byLead[unmet] != 1 || byLead[orphan] != 1 || byLead[inactive] != 1 || byLead[met] != 0 || len(rows) != 3 {
			t.Errorf("sql_meeting escalations per lead: %v (met %s, unmet %s, inactive %s, orphan %s)", byLead, met, unmet, inactive, orphan)
		}
		// Not handed back: the owner stays, and the escalation says why.
		if o := get(orphan).Owner; o == nil || o.ID != ada {
			t.Errorf("the lead without a previous owner: owner %+v, want Ada %s", o, ada)
		}
		if o := get(inactive).Owner; o == nil || o.ID != nick {
			t.Errorf("the lead whose BDR is inactive: owner %+v, want Nick %s", o, nick)
		}
	})
}
