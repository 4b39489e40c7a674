package authz_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// outcome of one operation for one caller.
const (
	ok     = "ok"        // passed access control (the operation may still fail on its own rules)
	deny   = "forbidden" // FORBIDDEN
	hidden = "hidden"    // the row is not visible: null or NOT_FOUND
	unauth = "unauth"    // UNAUTHENTICATED, HTTP 401
)

type caller struct {
	name, role, team string
}

// world is the data every case runs against: two reps' leads in two teams and an AE's lead.
type world struct {
	api                      *apitest.Instance
	users                    map[string]string
	ownLead, otherLead, aeLd string
}

func setup(t *testing.T, db *store.DB) *world {
	api := apitest.Start(t, db)
	w := &world{api: api, users: map[string]string{}}
	for _, u := range []struct{ name, role, team string }{
		{"bdr", "BDR", "emea-bdr"}, {"bdr2", "BDR", "na-bdr"}, {"ae", "AE", "emea-ae"},
		{"marketing", "MARKETING", "marketing"}, {"revops", "REVOPS", "revops"},
		{"analyst", "ANALYST", "analytics"}, {"admin", "ADMIN", "it"},
	} {
		var out struct{ CreateUser struct{ ID string } }
		api.Data(t, `mutation($n: String!, $e: String!, $r: UserRole!, $t: String!) {
			createUser(input: {name: $n, email: $e, role: $r, team: $t}) { id } }`,
			map[string]any{"n": u.name, "e": u.name + "@example.com", "r": u.role, "t": u.team}, &out)
		w.users[u.name] = out.CreateUser.ID
	}
	lead := func(owner, email string) string {
		var out struct{ CreateLead struct{ ID string } }
		api.Data(t, `mutation($o: ID!, $e: String!) { createLead(input: {firstName: "L", lastName: $e,
			email: $e, phone: "+4930123456", source: WEB_FORM, country: "DE", ownerID: $o}) { id } }`,
			map[string]any{"o": w.users[owner], "e": email}, &out)
		return out.CreateLead.ID
	}
	w.ownLead = lead("bdr", "own@acme.example")
	w.otherLead = lead("bdr2", "other@globex.example")
	w.aeLd = lead("ae", "ae@initech.example")
	// An unassigned inbound lead: in every rep's pool until routing gives it an owner.
	var pool struct{ CreateLead struct{ ID string } }
	api.Data(t, `mutation { createLead(input: {lastName: "Pool", email: "pool@hooli.example", source: NEWSLETTER}) { id } }`, nil, &pool)
	return w
}

func (w *world) as(t *testing.T, c caller) *apitest.Instance {
	if c.role == "" {
		return w.api.Anonymous()
	}
	return w.api.As(t, c.role, c.team, w.users[c.name])
}

// classify turns a response into an outcome.
func classify(r apitest.Response, visible func(json.RawMessage) bool) string {
	if r.Status == http.StatusUnauthorized {
		return unauth
	}
	for _, e := range r.Errors {
		switch e.Code() {
		case "FORBIDDEN":
			return deny
		case "UNAUTHENTICATED":
			return unauth
		case "NOT_FOUND":
			return hidden
		}
	}
	if visible != nil && !visible(r.Data) {
		return hidden
	}
	return ok
}

func nodeVisible(data json.RawMessage) bool {
	var d struct{ Node *struct{ ID string } }
	_ = json.Unmarshal(data, &d)
	return d.Node != nil
}

func TestAccessMatrix(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		callers := []caller{
			{name: "marketing", role: "marketing", team: "marketing"},
			{name: "bdr", role: "bdr", team: "emea-bdr"},
			{name: "ae", role: "ae", team: "emea-ae"},
			{name: "revops", role: "revops", team: "revops"},
			{name: "analyst", role: "analyst", team: "analytics"},
			{name: "admin", role: "admin", team: "it"},
			{name: "unauthenticated"},
		}
		type op struct {
			name    string
			query   string
			vars    func() map[string]any
			visible func(json.RawMessage) bool
			want    map[string]string // by caller name
		}
		byRole := func(marketing, bdr, ae, revops, analyst, admin string) map[string]string {
			return map[string]string{"marketing": marketing, "bdr": bdr, "ae": ae, "revops": revops,
				"analyst": analyst, "admin": admin, "unauthenticated": unauth}
		}
		ops := []op{
			{"list background jobs", `{ jobs(first: 1) { edges { node { id } } } }`, nil, nil,
				byRole(deny, deny, deny, ok, deny, ok)},
			{"read own lead", `query($id: ID!) { node(id: $id) { id } }`,
				func() map[string]any { return map[string]any{"id": w.ownLead} }, nodeVisible,
				byRole(ok, ok, hidden, ok, ok, ok)},
			{"read other team's lead", `query($id: ID!) { node(id: $id) { id } }`,
				func() map[string]any { return map[string]any{"id": w.otherLead} }, nodeVisible,
				byRole(ok, hidden, hidden, ok, ok, ok)},
			{"write own lead", `mutation($id: ID!) { updateLead(id: $id, input: {jobTitle: "CTO"}) { id } }`,
				func() map[string]any { return map[string]any{"id": w.ownLead} }, nil,
				byRole(deny, ok, deny, ok, deny, ok)},
			{"write other team's lead", `mutation($id: ID!) { updateLead(id: $id, input: {jobTitle: "CFO"}) { id } }`,
				func() map[string]any { return map[string]any{"id": w.otherLead} }, nil,
				byRole(deny, deny, deny, ok, deny, ok)},
			{"transition own lead", `mutation($id: ID!) { transitionLead(input: {leadId: $id, toStage: "nurture",
				reasonCode: "no_budget", reason: "later"}) { lead { id } } }`,
				func() map[string]any { return map[string]any{"id": w.ownLead} }, nil,
				byRole(ok, ok, deny, ok, deny, ok)},
			{"transition other team's lead", `mutation($id: ID!) { transitionLead(input: {leadId: $id, toStage: "nurture",
				reasonCode: "no_budget", reason: "later"}) { lead { id } } }`,
				func() map[string]any { return map[string]any{"id": w.otherLead} }, nil,
				byRole(ok, deny, deny, ok, deny, ok)},
			{"policy status", `{ policyStatus { active { revision } } }`, nil, nil,
				byRole(deny, ok, ok, ok, ok, ok)},
			{"create API key", `mutation { createApiKey(input: {name: "etl", role: ANALYST}) { secret } }`, nil, nil,
				byRole(deny, deny, deny, ok, deny, ok)},
			{"list API keys", `{ apiKeys { totalCount } }`, nil, nil,
				byRole(deny, deny, deny, ok, deny, ok)},
			{"funnel", `{ funnel(input: {period: {from: "2020-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z"}}) { __typename } }`, nil, nil,
				byRole(deny, ok, ok, ok, ok, ok)},
		}
		for _, o := range ops {
			for _, c := range callers {
				t.Run(o.name+"/"+c.name, func(t *testing.T) {
					var vars map[string]any
					if o.vars != nil {
						vars = o.vars()
					}
					r := w.as(t, c).Do(t, o.query, vars)
					if got := classify(r, o.visible); got != o.want[c.name] {
						t.Errorf("got %s, want %s (status %d, errors %+v, data %s)", got, o.want[c.name], r.Status, r.Errors, r.Data)
					}
				})
			}
		}

		// Lists and totalCount hold only visible rows: the rep sees its own lead and the pool, the
		// AE its team's and the pool, everyone else all four.
		wantCount := map[string]int{"marketing": 4, "bdr": 2, "ae": 2, "revops": 4, "analyst": 4, "admin": 4}
		for _, c := range callers[:6] {
			var out struct {
				Leads struct {
					TotalCount int
					Edges      []struct{ Node struct{ ID, Email string } }
				}
				Contacts struct{ TotalCount int }
			}
			w.as(t, c).Data(t, `{ leads(first: 10) { totalCount edges { node { id email } } }
				contacts { totalCount } }`, nil, &out)
			if out.Leads.TotalCount != wantCount[c.name] || len(out.Leads.Edges) != wantCount[c.name] {
				t.Errorf("%s: totalCount %d, %d edges; want %d", c.name, out.Leads.TotalCount, len(out.Leads.Edges), wantCount[c.name])
			}
			for _, e := range out.Leads.Edges {
				if redacted := e.Node.Email == ""; redacted != (c.name == "analyst") {
					t.Errorf("%s: lead email %q, redacted %v", c.name, e.Node.Email, redacted)
				}
			}
			if out.Contacts.TotalCount > out.Leads.TotalCount && c.name != "marketing" {
				t.Errorf("%s: %d contacts for %d visible leads", c.name, out.Contacts.TotalCount, out.Leads.TotalCount)
			}
		}
		// Funnel numbers count only visible leads, on the rollup and on the transitions.
		for _, where := range []string{"", `, where: {sourceNEQ: PARTNER}`} {
			reached := map[string]int{}
			for _, c := range []caller{callers[1], callers[5]} {
				var f struct {
					Funnel struct {
						Groups []struct {
							Steps []struct {
								Stage   string
								Reached int
							}
						}
					}
				}
				w.as(t, c).Data(t, `{ funnel(input: {period: {from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z"}`+where+`}) {
					groups { steps { stage reached } } } }`, nil, &f)
				for _, g := range f.Funnel.Groups {
					for _, st := range g.Steps {
						if st.Stage == "lead" {
							reached[c.name] += st.Reached
						}
					}
				}
			}
			if reached["bdr"] != wantCount["bdr"] || reached["admin"] != wantCount["admin"] {
				t.Errorf("funnel%s: leads reached %v; want bdr %d, admin %d", where, reached, wantCount["bdr"], wantCount["admin"])
			}
		}

		// Nested edges are filtered too: the rep's user record lists only visible owned leads.
		var nested struct {
			Node struct{ OwnedLeads struct{ TotalCount int } }
		}
		w.as(t, callers[1]).Data(t, `query($id: ID!) { node(id: $id) { ... on User { ownedLeads { totalCount } } } }`,
			map[string]any{"id": w.users["bdr2"]}, &nested)
		if n := nested.Node.OwnedLeads.TotalCount; n != 0 {
			t.Errorf("bdr sees %d leads of another team's rep through User.ownedLeads", n)
		}
	})
}

// Redacted fields read as null and cannot be probed through filters or ordering.
func TestRedaction(t *testing.T) {
	w := setup(t, testenv.SQLite(t))
	analyst := w.api.As(t, "analyst", "analytics", w.users["analyst"])
	w.api.Data(t, `mutation { createAccount(input: {name: "Acme", domain: "acme.example", industry: "software", country: "DE"}) { id } }`, nil, &struct{}{})
	var out struct {
		Leads struct {
			TotalCount int
			Edges      []struct {
				Node struct{ Email, Phone *string }
			}
		}
	}
	analyst.Data(t, `{ leads { totalCount edges { node { email phone } } } }`, nil, &out)
	for _, e := range out.Leads.Edges {
		if e.Node.Email != nil || e.Node.Phone != nil {
			t.Errorf("analyst reads email %v phone %v", e.Node.Email, e.Node.Phone)
		}
	}
	for _, q := range []string{
		`{ leads(where: {emailContains: "acme"}) { totalCount } }`,
		`{ leads(where: {or: [{phoneHasPrefix: "+49"}]}) { totalCount } }`,
		`{ accounts { edges { node { contacts(where: {emailNotNil: true}) { totalCount } } } } }`,
		`query($w: LeadWhereInput) { leads(where: $w) { totalCount } }`,
	} {
		r := analyst.Do(t, q, map[string]any{"w": map[string]any{"hasContactsWith": []any{map[string]any{"emailContains": "a"}}}})
		if classify(r, nil) != deny {
			t.Errorf("%s: %+v %s; want FORBIDDEN", q, r.Errors, r.Data)
		}
	}
	// Other filters stay usable, and the admin sees the values.
	analyst.Data(t, `{ leads(where: {lastNameContains: "phone"}) { totalCount } }`, nil, &struct{}{})
	w.api.Data(t, `{ leads(where: {emailContains: "acme"}) { totalCount edges { node { email } } } }`, nil, &out)
	if out.Leads.TotalCount != 1 || out.Leads.Edges[0].Node.Email == nil {
		t.Errorf("admin: %+v", out.Leads)
	}
}
