package app_test

import (
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

func TestAccountsAndContacts(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		var acc struct {
			CreateAccount struct{ ID, Domain string }
		}
		api.Data(t, `mutation { createAccount(input: {name: "Acme GmbH", domain: "https://WWW.Sales.Acme.co.uk/about", country: "GB", region: EMEA, employeeCount: 250}) { id domain } }`, nil, &acc)
		if acc.CreateAccount.Domain != "acme.co.uk" {
			t.Fatalf("domain = %q, want acme.co.uk", acc.CreateAccount.Domain)
		}

		e := api.Fail(t, "CONFLICT", `mutation { createAccount(input: {name: "Acme again", domain: "acme.co.uk"}) { id } }`, nil)
		if e.Extensions["existingId"] != acc.CreateAccount.ID {
			t.Errorf("conflict names %v, want %s", e.Extensions["existingId"], acc.CreateAccount.ID)
		}
		e = api.Fail(t, "VALIDATION_FAILED", `mutation { createAccount(input: {name: "Bad", domain: "co.uk"}) { id } }`, nil)
		if e.Extensions["field"] != "input.domain" {
			t.Errorf("field = %v, want input.domain", e.Extensions["field"])
		}

		var ct struct {
			CreateContact struct{ ID, Email, Phone string }
		}
		api.Data(t, `mutation($a: ID!) { createContact(input: {lastName: "Doe", firstName: "Jane", email: "Jane.Doe@Acme.co.uk", phone: "020 7946 0958", buyingRole: DECISION_MAKER, accountID: $a}) { id email phone } }`,
			map[string]any{"a": acc.CreateAccount.ID}, &ct)
		if ct.CreateContact.Email != "jane.doe@acme.co.uk" || ct.CreateContact.Phone != "+442079460958" {
			t.Fatalf("contact = %+v", ct.CreateContact)
		}
		e = api.Fail(t, "CONFLICT", `mutation { createContact(input: {lastName: "Dup", email: "JANE.DOE@acme.co.uk"}) { id } }`, nil)
		if e.Extensions["existingId"] != ct.CreateContact.ID {
			t.Errorf("conflict names %v, want %s", e.Extensions["existingId"], ct.CreateContact.ID)
		}
		api.Fail(t, "VALIDATION_FAILED", `mutation { createContact(input: {lastName: "X", email: "not-an-email"}) { id } }`, nil)
		api.Fail(t, "VALIDATION_FAILED", `mutation { createContact(input: {lastName: "X", phone: "12345"}) { id } }`, nil)

		// Nothing of the refused writes was stored.
		var counts struct {
			Accounts struct{ TotalCount int }
			Contacts struct{ TotalCount int }
		}
		api.Data(t, `{ accounts { totalCount } contacts { totalCount } }`, nil, &counts)
		if counts.Accounts.TotalCount != 1 || counts.Contacts.TotalCount != 1 {
			t.Errorf("counts = %+v, want 1 account and 1 contact", counts)
		}

		var node struct {
			Node struct {
				Typename string `json:"__typename"`
				Name     string
				Contacts struct {
					TotalCount int
					Edges      []struct{ Node struct{ Email string } }
				}
			}
		}
		api.Data(t, `query($id: ID!) { node(id: $id) { __typename ... on Account { name contacts { totalCount edges { node { email } } } } } }`,
			map[string]any{"id": acc.CreateAccount.ID}, &node)
		if node.Node.Typename != "Account" || node.Node.Contacts.TotalCount != 1 {
			t.Errorf("node = %+v", node.Node)
		}
	})
}

func TestLeadCreationIsIdempotentAndMatched(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		var acc struct{ CreateAccount struct{ ID string } }
		api.Data(t, `mutation { createAccount(input: {name: "Globex", domain: "globex.com", country: "US", region: NA}) { id } }`, nil, &acc)

		create := `mutation($k: String) { createLead(idempotencyKey: $k, input: {firstName: "Hank", lastName: "Scorpio", email: "Hank@Globex.com", source: WEB_FORM}) {
			id email version stage { key } furthestStage { key } account { id }
			transitions { totalCount edges { node { toStage { key } fromStage { key } trigger } } } } }`
		type lead struct {
			ID, Email     string
			Version       int
			Stage         struct{ Key string }
			FurthestStage struct{ Key string }
			Account       *struct{ ID string }
			Transitions   struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						ToStage   struct{ Key string }
						FromStage *struct{ Key string }
						Trigger   string
					}
				}
			}
		}
		var first, second struct{ CreateLead lead }
		api.Data(t, create, map[string]any{"k": "form-42"}, &first)
		api.Data(t, create, map[string]any{"k": "form-42"}, &second)
		l := first.CreateLead
		if second.CreateLead.ID != l.ID {
			t.Fatalf("same idempotency key gave leads %s and %s", l.ID, second.CreateLead.ID)
		}
		if l.Email != "hank@globex.com" || l.Account == nil || l.Account.ID != acc.CreateAccount.ID {
			t.Errorf("lead not cleaned or not matched to its account: %+v", l)
		}
		if l.Transitions.TotalCount < 1 {
			t.Fatalf("no history: %+v", l.Transitions)
		}
		// The history is newest first; its oldest row enters the funnel from nowhere.
		oldest := l.Transitions.Edges[len(l.Transitions.Edges)-1].Node
		if oldest.FromStage != nil || oldest.ToStage.Key != "lead" {
			t.Errorf("first history row = %+v, want nil → lead", oldest)
		}
		if newest := l.Transitions.Edges[0].Node; newest.ToStage.Key != l.Stage.Key {
			t.Errorf("newest history row goes to %s, lead is in %s", newest.ToStage.Key, l.Stage.Key)
		}

		var third struct{ CreateLead lead }
		api.Data(t, create, map[string]any{"k": "form-43"}, &third)
		if third.CreateLead.ID == l.ID {
			t.Error("a new idempotency key returned the old lead")
		}

		// Stale optimistic version.
		e := api.Fail(t, "CONFLICT", `mutation($id: ID!, $v: Int) { updateLead(id: $id, expectedVersion: $v, input: {jobTitle: "CEO"}) { id } }`,
			map[string]any{"id": l.ID, "v": l.Version - 1})
		if int(e.Extensions["currentVersion"].(float64)) != l.Version {
			t.Errorf("conflict currentVersion = %v, want %d", e.Extensions["currentVersion"], l.Version)
		}
		var upd struct {
			UpdateLead struct {
				JobTitle string
				Version  int
			}
		}
		api.Data(t, `mutation($id: ID!, $v: Int) { updateLead(id: $id, expectedVersion: $v, input: {jobTitle: "CEO"}) { jobTitle version } }`,
			map[string]any{"id": l.ID, "v": l.Version}, &upd)
		if upd.UpdateLead.JobTitle != "CEO" || upd.UpdateLead.Version <= l.Version {
			t.Errorf("update = %+v", upd.UpdateLead)
		}
	})
}

func TestPageSizeIsCapped(t *testing.T) {
	db := testenv.SQLite(t)
	api := apitest.Start(t, db, func(c *app.Config) { c.PageDefault, c.PageMax = 2, 3 })
	for i := 0; i < 4; i++ {
		api.Data(t, `mutation($n: String!) { createUser(input: {name: $n, email: $n, role: BDR}) { id } }`,
			map[string]any{"n": string(rune('a'+i)) + "@qualify.example"}, &struct{}{})
	}
	var page struct {
		Users struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID string } }
		}
	}
	api.Data(t, `{ users { totalCount edges { node { id } } } }`, nil, &page)
	if page.Users.TotalCount != 4 || len(page.Users.Edges) != 2 {
		t.Errorf("default page: total %d, edges %d; want 4 and 2", page.Users.TotalCount, len(page.Users.Edges))
	}
	e := api.Fail(t, "VALIDATION_FAILED", `{ users(first: 4) { totalCount } }`, nil)
	if e.Extensions["field"] != "users.first" {
		t.Errorf("field = %v", e.Extensions["field"])
	}
}
