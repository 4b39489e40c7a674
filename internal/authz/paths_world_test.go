package authz_test

import (
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
)

// pathWorld is the data the generated path test runs over: two teams (alpha, beta) whose leads
// share an account and a contact, an unassigned pool lead, and an analyst. The BDR calls as
// alpha's rep, the AE as beta's; each must see nothing of the other team's leads.
type pathWorld struct {
	api   *apitest.Instance
	users map[string]string // name -> id
	// ids of every seeded row by type (Lead, Contact, Activity, StageTransition, Account, …)
	ids map[string][]string
	// owner team of each lead id ("" for the pool)
	leadTeam map[string]string
	// values that identify a lead or contact: email, phone
	secrets map[string][]string // row id -> values
	// hidden rows and values per caller
	hidden map[string]*hiddenSet
}

// hiddenSet is what one caller must never read.
type hiddenSet struct {
	ids    map[string]string // id -> type
	values []string          // emails and phones
}

// pathCallers are the roles the path test runs as.
var pathCallers = []caller{
	{name: "bdrA", role: "bdr", team: "alpha"},
	{name: "aeB", role: "ae", team: "beta"},
	{name: "analyst", role: "analyst", team: "analytics"},
}

func seedPathWorld(t *testing.T, db *store.DB) *pathWorld {
	api := apitest.Start(t, db)
	w := &pathWorld{api: api, users: map[string]string{}, ids: map[string][]string{},
		leadTeam: map[string]string{}, secrets: map[string][]string{}}
	create := func(typ, mutation string, vars map[string]any) string {
		t.Helper()
		var out map[string]struct{ ID string }
		api.Data(t, mutation, vars, &out)
		for _, v := range out {
			w.ids[typ] = append(w.ids[typ], v.ID)
			return v.ID
		}
		t.Fatalf("seed %s: no id", typ)
		return ""
	}
	for _, u := range []struct{ name, role, team string }{
		{"bdrA", "BDR", "alpha"}, {"aeA", "AE", "alpha"}, {"bdrB", "BDR", "beta"}, {"aeB", "AE", "beta"},
		{"analyst", "ANALYST", "analytics"},
	} {
		w.users[u.name] = create("User", `mutation($n: String!, $e: String!, $r: UserRole!, $t: String!) {
			createUser(input: {name: $n, email: $e, role: $r, team: $t}) { id } }`,
			map[string]any{"n": u.name, "e": strings.ToLower(u.name) + "@staff.example", "r": u.role, "t": u.team})
	}
	account := func(name string) string {
		return create("Account", `mutation($n: String!, $d: String!) { createAccount(input: {name: $n, domain: $d, country: "DE"}) { id } }`,
			map[string]any{"n": name, "d": strings.ToLower(name) + ".example"})
	}
	shared, alphaCo, betaCo := account("Sharedco"), account("Alphaco"), account("Betaco")

	lead := func(name, owner, acct, phone string) string {
		vars := map[string]any{"l": name, "e": name + "@mail-" + name + ".example", "p": phone, "o": nil, "a": nil}
		if owner != "" {
			vars["o"] = w.users[owner]
		}
		if acct != "" {
			vars["a"] = acct
		}
		id := create("Lead", `mutation($l: String!, $e: String!, $p: String!, $o: ID, $a: ID) { createLead(input: {
			lastName: $l, email: $e, phone: $p, source: WEB_FORM, country: "DE", ownerID: $o, accountID: $a}) { id } }`, vars)
		w.secrets[id] = []string{vars["e"].(string), phone}
		w.leadTeam[id] = map[string]string{"bdrA": "alpha", "aeA": "alpha", "bdrB": "beta", "aeB": "beta"}[owner]
		return id
	}
	la1 := lead("leadalphaone", "bdrA", alphaCo, "+4930111111")
	la2 := lead("leadalphatwo", "aeA", shared, "+4930222222")
	lb1 := lead("leadbetaone", "bdrB", betaCo, "+4930333333")
	lb2 := lead("leadbetatwo", "aeB", shared, "+4930444444")
	pool := lead("leadpool", "", "", "+4930555555")

	contact := func(name, acct, phone string, leads ...string) string {
		email := name + "@contact-" + name + ".example"
		id := create("Contact", `mutation($n: String!, $e: String!, $p: String!, $a: ID!, $l: [ID!]) { createContact(input: {
			lastName: $n, email: $e, phone: $p, accountID: $a, leadIDs: $l}) { id } }`,
			map[string]any{"n": name, "e": email, "p": phone, "a": acct, "l": leads})
		w.secrets[id] = []string{email, phone}
		return id
	}
	cShared := contact("contactshared", shared, "+4940111111", la2, lb2)
	cAlpha := contact("contactalpha", alphaCo, "+4940222222", la1)
	cBeta := contact("contactbeta", betaCo, "+4940333333", lb1)

	activity := func(lead, contact, form string) {
		var c any
		if contact != "" {
			c = contact
		}
		create("Activity", `mutation($l: ID, $c: ID, $f: String!) { createActivity(input: {kind: FORM_FILL,
			properties: {form: $f}, leadID: $l, contactID: $c}) { id } }`, map[string]any{"l": lead, "c": c, "f": form})
	}
	for _, a := range [][3]string{
		{la1, cAlpha, "alpha-one"}, {la2, cShared, "alpha-two"}, {lb1, cBeta, "beta-one"},
		{lb2, cShared, "beta-two"}, {pool, "", "pool"},
	} {
		activity(a[0], a[1], a[2])
	}
	// Activities on a contact alone.
	for _, c := range []string{cAlpha, cBeta} {
		create("Activity", `mutation($c: ID) { createActivity(input: {kind: WEB_VISIT, contactID: $c}) { id } }`,
			map[string]any{"c": c})
	}
	create("Project", `mutation($a: ID!, $c: [ID!]) { createProject(input: {name: "Rollout", status: PLANNED, accountID: $a, keyContactIDs: $c}) { id } }`,
		map[string]any{"a": betaCo, "c": []string{cBeta}})
	create("Project", `mutation($a: ID!, $c: [ID!]) { createProject(input: {name: "Pilot", status: PLANNED, accountID: $a, keyContactIDs: $c}) { id } }`,
		map[string]any{"a": shared, "c": []string{cShared}})
	// One more stage change per lead, so every lead has two transitions.
	for _, l := range []string{la1, la2, lb1, lb2, pool} {
		api.Data(t, `mutation($id: ID!) { transitionLead(input: {leadId: $id, toStage: "nurture", reasonCode: "no_budget", reason: "later"}) { lead { id } } }`,
			map[string]any{"id": l}, &struct{}{})
	}
	w.classify(t, map[string][]string{cAlpha: {la1}, cBeta: {lb1}, cShared: {la2, lb2}},
		map[string]string{cAlpha: alphaCo, cBeta: betaCo, cShared: shared},
		map[string][]string{alphaCo: {la1}, betaCo: {lb1}, shared: {la2, lb2}})
	return w
}

// classify computes each caller's hidden set from the access rules in words, independently of
// the code under test: a rep sees leads of its own team and the pool; a contact linked to a
// visible lead or at an account with one; an activity of a visible lead, or of a visible contact
// when it has no lead; a transition of a visible lead. An analyst sees every row but no email or
// phone of a lead or contact.
func (w *pathWorld) classify(t *testing.T, contactLeads map[string][]string, contactAccount map[string]string,
	accountLeads map[string][]string) {
	t.Helper()
	w.hidden = map[string]*hiddenSet{}
	for _, c := range pathCallers {
		h := &hiddenSet{ids: map[string]string{}}
		w.hidden[c.name] = h
		if c.role == "analyst" {
			for _, vals := range w.secrets {
				h.values = append(h.values, vals...)
			}
			continue
		}
		visibleLead := func(id string) bool { l := w.leadTeam[id]; return l == "" || l == c.team }
		anyVisible := func(ids []string) bool {
			for _, id := range ids {
				if visibleLead(id) {
					return true
				}
			}
			return false
		}
		for _, id := range w.ids["Lead"] {
			if !visibleLead(id) {
				h.ids[id] = "Lead"
				h.values = append(h.values, w.secrets[id]...)
			}
		}
		for _, id := range w.ids["Contact"] {
			if !anyVisible(contactLeads[id]) && !anyVisible(accountLeads[contactAccount[id]]) {
				h.ids[id] = "Contact"
				h.values = append(h.values, w.secrets[id]...)
			}
		}
		// Activities and transitions: read their lead and contact as the admin.
		var acts struct {
			Activities struct {
				Edges []struct {
					Node struct{ ID, LeadID, ContactID string }
				}
			}
		}
		w.api.Data(t, `{ activities(first: 100) { edges { node { id leadID contactID } } } }`, nil, &acts)
		for _, e := range acts.Activities.Edges {
			n := e.Node
			if (n.LeadID != "" && !visibleLead(n.LeadID)) || (n.LeadID == "" && h.ids[n.ContactID] != "") {
				h.ids[n.ID] = "Activity"
			}
		}
		var tr struct {
			Leads struct {
				Edges []struct {
					Node struct {
						ID          string
						Transitions struct {
							Edges []struct{ Node struct{ ID string } }
						}
					}
				}
			}
		}
		w.api.Data(t, `{ leads(first: 100) { edges { node { id transitions(first: 100) { edges { node { id } } } } } } }`, nil, &tr)
		for _, l := range tr.Leads.Edges {
			for _, e := range l.Node.Transitions.Edges {
				w.ids["StageTransition"] = append(w.ids["StageTransition"], e.Node.ID)
				if !visibleLead(l.Node.ID) {
					h.ids[e.Node.ID] = "StageTransition"
				}
			}
		}
		if len(h.ids) == 0 {
			t.Fatalf("%s: nothing hidden; the world is wrong", c.name)
		}
	}
	var acts struct {
		Activities struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	w.api.Data(t, `{ activities(first: 100) { edges { node { id } } } }`, nil, &acts)
	w.ids["Activity"] = nil
	for _, e := range acts.Activities.Edges {
		w.ids["Activity"] = append(w.ids["Activity"], e.Node.ID)
	}
}
