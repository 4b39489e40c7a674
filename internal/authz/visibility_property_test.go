package authz_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// randomWorld is a random book of leads, contacts and activities, written over the API, with
// the links the row filter reads kept in Go for the brute-force answer.
type randomWorld struct {
	users       map[string]string // name -> id
	team        map[string]string // user id -> team
	leadOwner   map[string]string // lead id -> owner id ("" for the pool)
	leadAccount map[string]string
	contactAcct map[string]string
	contactLead map[string][]string
	actLead     map[string]string
	actContact  map[string]string
	accounts    []string
	owners      []string
}

// TestRowFilterMatchesBruteForce draws random worlds and compares, for a rep of each team, what
// the API returns with what the access rules in words allow, computed in Go: the counts of
// contacts and activities (the set shape), their pages (the row shape), an account's contacts
// and a contact's activities (the row shape of a nested edge, with its per-parent counts), and
// where inputs that test for visible contacts and activities (the set shape nested in a
// subquery).
func TestRowFilterMatchesBruteForce(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		for round := range 3 {
			rng := rand.New(rand.NewPCG(16, uint64(round)))
			w := newRandomWorld(t, api, rng, round)
			checkReach(t, db, fmt.Sprintf("round %d, created", round))
			for _, name := range []string{fmt.Sprintf("bdrA%d", round), fmt.Sprintf("aeB%d", round)} {
				id := w.users[name]
				caller := api.As(t, map[bool]string{true: "bdr", false: "ae"}[name[0] == 'b'], w.team[id], id)
				w.check(t, caller, id, round)
			}
			// Every path of the stored reach moves: leads change owner and account, contacts
			// move account and gain and lose links, activities move between leads and contacts.
			w.mutate(t, api, rng)
			checkReach(t, db, fmt.Sprintf("round %d, changed", round))
			for _, name := range []string{fmt.Sprintf("bdrA%d", round), fmt.Sprintf("aeB%d", round)} {
				id := w.users[name]
				caller := api.As(t, map[bool]string{true: "bdr", false: "ae"}[name[0] == 'b'], w.team[id], id)
				w.check(t, caller, id, round)
			}
			// Deletes, which the API does not offer but the database allows (and cascades):
			// a lead, a contact, an account, an owner.
			w.remove(t, db, rng, round)
			checkReach(t, db, fmt.Sprintf("round %d, deleted", round))
			for _, name := range []string{fmt.Sprintf("bdrA%d", round), fmt.Sprintf("aeB%d", round)} {
				id := w.users[name]
				caller := api.As(t, map[bool]string{true: "bdr", false: "ae"}[name[0] == 'b'], w.team[id], id)
				w.check(t, caller, id, round)
			}
		}
	})
}

func newRandomWorld(t *testing.T, api *apitest.Instance, rng *rand.Rand, round int) *randomWorld {
	w := &randomWorld{users: map[string]string{}, team: map[string]string{}, leadOwner: map[string]string{},
		leadAccount: map[string]string{}, contactAcct: map[string]string{}, contactLead: map[string][]string{},
		actLead: map[string]string{}, actContact: map[string]string{}}
	create := func(mutation string, vars map[string]any) string {
		t.Helper()
		var out map[string]struct{ ID string }
		api.Data(t, mutation, vars, &out)
		for _, v := range out {
			return v.ID
		}
		t.Fatal("no id")
		return ""
	}
	var owners []string
	for _, u := range []struct{ name, role, team string }{
		{"bdrA", "BDR", "alpha"}, {"aeA", "AE", "alpha"}, {"bdrB", "BDR", "beta"}, {"aeB", "AE", "beta"},
	} {
		name, team := fmt.Sprintf("%s%d", u.name, round), fmt.Sprintf("%s%d", u.team, round)
		id := create(`mutation($n: String!, $e: String!, $r: UserRole!, $t: String!) {
			createUser(input: {name: $n, email: $e, role: $r, team: $t}) { id } }`,
			map[string]any{"n": name, "e": name + "@staff.example", "r": u.role, "t": team})
		w.users[name], w.team[id] = id, team
		owners = append(owners, id)
	}
	pick := func(ids []string, none int) string { // "" one time in none+1 when none > 0
		if none > 0 && rng.IntN(none+1) == 0 {
			return ""
		}
		return ids[rng.IntN(len(ids))]
	}
	for i := range 4 {
		w.accounts = append(w.accounts, create(`mutation($n: String!, $d: String!) {
			createAccount(input: {name: $n, domain: $d, country: "DE"}) { id } }`,
			map[string]any{"n": fmt.Sprintf("Acct %d-%d", round, i), "d": fmt.Sprintf("acct%d-%d.example", round, i)}))
	}
	w.owners = owners
	var leads []string
	for i := range 12 {
		owner, acct := pick(owners, 2), pick(w.accounts, 2)
		vars := map[string]any{"l": fmt.Sprintf("lead%d", i), "e": fmt.Sprintf("lead%d-%d@mail%d-%d.example", round, i, round, i),
			"o": nilIfEmpty(owner), "a": nilIfEmpty(acct)}
		id := create(`mutation($l: String!, $e: String!, $o: ID, $a: ID) { createLead(input: {
			lastName: $l, email: $e, source: WEB_FORM, country: "DE", ownerID: $o, accountID: $a}) { id } }`, vars)
		leads = append(leads, id)
		w.leadOwner[id], w.leadAccount[id] = owner, acct
	}
	var contacts []string
	for i := range 8 {
		acct := pick(w.accounts, 3)
		var linked []string
		for range rng.IntN(3) {
			if l := pick(leads, 0); !slices.Contains(linked, l) {
				linked = append(linked, l)
			}
		}
		id := create(`mutation($n: String!, $e: String!, $a: ID, $l: [ID!]) { createContact(input: {
			lastName: $n, email: $e, accountID: $a, leadIDs: $l}) { id } }`,
			map[string]any{"n": fmt.Sprintf("contact%d", i), "e": fmt.Sprintf("c%d-%d@people%d.example", round, i, round),
				"a": nilIfEmpty(acct), "l": linked})
		contacts = append(contacts, id)
		w.contactAcct[id], w.contactLead[id] = acct, linked
	}
	for range 16 {
		lead, contact := pick(leads, 2), pick(contacts, 1)
		if lead == "" && contact == "" {
			contact = contacts[0]
		}
		id := create(`mutation($l: ID, $c: ID) { createActivity(input: {kind: WEB_VISIT, leadID: $l, contactID: $c}) { id } }`,
			map[string]any{"l": nilIfEmpty(lead), "c": nilIfEmpty(contact)})
		w.actLead[id], w.actContact[id] = lead, contact
	}
	return w
}

// mutate applies random writes over the API to every link the row filter reads, and records
// them: a lead's owner (to another, or none) and account, a contact's account and lead links,
// an activity's lead and contact.
func (w *randomWorld) mutate(t *testing.T, api *apitest.Instance, rng *rand.Rand) {
	t.Helper()
	pick := func(ids []string, none int) string {
		if none > 0 && rng.IntN(none+1) == 0 {
			return ""
		}
		return ids[rng.IntN(len(ids))]
	}
	var out map[string]any
	leads, contacts, acts := want(w.leadOwner, func(string) bool { return true }),
		want(w.contactAcct, func(string) bool { return true }), want(w.actLead, func(string) bool { return true })
	for range 12 {
		switch rng.IntN(5) {
		case 0: // a lead changes owner
			l, o := pick(leads, 0), pick(w.owners, 2)
			input := map[string]any{"ownerID": o}
			if o == "" {
				input = map[string]any{"clearOwner": true}
			}
			api.Data(t, `mutation($id: ID!, $in: UpdateLeadInput!) { updateLead(id: $id, input: $in) { id } }`,
				map[string]any{"id": l, "in": input}, &out)
			w.leadOwner[l] = o
		case 1: // a lead changes account
			l, a := pick(leads, 0), pick(w.accounts, 2)
			input := map[string]any{"accountID": a}
			if a == "" {
				input = map[string]any{"clearAccount": true}
			}
			api.Data(t, `mutation($id: ID!, $in: UpdateLeadInput!) { updateLead(id: $id, input: $in) { id } }`,
				map[string]any{"id": l, "in": input}, &out)
			w.leadAccount[l] = a
		case 2: // a contact moves account
			c, a := pick(contacts, 0), pick(w.accounts, 2)
			input := map[string]any{"accountID": a}
			if a == "" {
				input = map[string]any{"clearAccount": true}
			}
			api.Data(t, `mutation($id: ID!, $in: UpdateContactInput!) { updateContact(id: $id, input: $in) { id } }`,
				map[string]any{"id": c, "in": input}, &out)
			w.contactAcct[c] = a
		case 3: // a contact loses a link and gains another
			c, add := pick(contacts, 0), pick(leads, 0)
			input := map[string]any{}
			if linked := w.contactLead[c]; len(linked) > 0 {
				drop := linked[rng.IntN(len(linked))]
				input["removeLeadIDs"] = []string{drop}
				w.contactLead[c] = slices.DeleteFunc(slices.Clone(linked), func(l string) bool { return l == drop })
			}
			if !slices.Contains(w.contactLead[c], add) && rng.IntN(2) == 0 {
				input["addLeadIDs"] = []string{add}
				w.contactLead[c] = append(w.contactLead[c], add)
			}
			api.Data(t, `mutation($id: ID!, $in: UpdateContactInput!) { updateContact(id: $id, input: $in) { id } }`,
				map[string]any{"id": c, "in": input}, &out)
		case 4: // an activity moves to another lead (or none) and contact
			a, l, c := pick(acts, 0), pick(leads, 1), pick(contacts, 0)
			input := map[string]any{"contactID": c, "leadID": l}
			if l == "" {
				input = map[string]any{"contactID": c, "clearLead": true}
			}
			api.Data(t, `mutation($id: ID!, $in: UpdateActivityInput!) { updateActivity(id: $id, input: $in) { id } }`,
				map[string]any{"id": a, "in": input}, &out)
			w.actLead[a], w.actContact[a] = l, c
		}
	}
}

// remove deletes rows in SQL, as an operator or a future mutation could, and records what the
// foreign keys do: lead_contacts rows go with their lead or contact (CASCADE), and the leads,
// contacts and activities that named a deleted row keep none (SET NULL).
func (w *randomWorld) remove(t *testing.T, db *store.DB, rng *rand.Rand, round int) {
	t.Helper()
	exec := func(q string) {
		t.Helper()
		if _, err := db.SQL.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	unset := func(m map[string]string, id string) {
		for k, v := range m {
			if v == id {
				m[k] = ""
			}
		}
	}
	leads := want(w.leadOwner, func(string) bool { return true })
	for _, l := range []string{leads[rng.IntN(len(leads))], leads[rng.IntN(len(leads))]} {
		if _, ok := w.leadOwner[l]; !ok {
			continue
		}
		exec("DELETE FROM stage_transitions WHERE lead_id = " + l)
		exec("DELETE FROM leads WHERE id = " + l)
		delete(w.leadOwner, l)
		delete(w.leadAccount, l)
		for c, linked := range w.contactLead {
			w.contactLead[c] = slices.DeleteFunc(linked, func(x string) bool { return x == l })
		}
		unset(w.actLead, l)
	}
	contacts := want(w.contactAcct, func(string) bool { return true })
	c := contacts[rng.IntN(len(contacts))]
	exec("DELETE FROM contacts WHERE id = " + c)
	delete(w.contactAcct, c)
	delete(w.contactLead, c)
	unset(w.actContact, c)
	a := w.accounts[rng.IntN(len(w.accounts))]
	exec("DELETE FROM accounts WHERE id = " + a)
	w.accounts = slices.DeleteFunc(w.accounts, func(x string) bool { return x == a })
	unset(w.leadAccount, a)
	unset(w.contactAcct, a)
	owner := w.users[fmt.Sprintf("aeA%d", round)] // neither caller
	exec("DELETE FROM users WHERE id = " + owner)
	unset(w.leadOwner, owner)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// The access rules in words (own_or_team): a lead of the caller, of the caller's team, or of
// no one; a contact linked to a visible lead or at an account with one; an activity of a
// visible lead, or without a lead, of a visible contact.
func (w *randomWorld) leadVisible(me, lead string) bool {
	o := w.leadOwner[lead]
	return o == "" || o == me || w.team[o] == w.team[me]
}

func (w *randomWorld) contactVisible(me, c string) bool {
	for _, l := range w.contactLead[c] {
		if w.leadVisible(me, l) {
			return true
		}
	}
	for l, a := range w.leadAccount {
		if a != "" && a == w.contactAcct[c] && w.leadVisible(me, l) {
			return true
		}
	}
	return false
}

func (w *randomWorld) activityVisible(me, a string) bool {
	if l := w.actLead[a]; l != "" {
		return w.leadVisible(me, l)
	}
	return w.contactVisible(me, w.actContact[a])
}

type idPage struct {
	TotalCount int
	Edges      []struct{ Node struct{ ID string } }
}

func (p idPage) ids() []string {
	var ids []string
	for _, e := range p.Edges {
		ids = append(ids, e.Node.ID)
	}
	slices.Sort(ids)
	return ids
}

// want is the sorted ids of keys that keep says are visible, among those of this world.
func want[V any](m map[string]V, keep func(string) bool) []string {
	var ids []string
	for id := range m {
		if keep(id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func (w *randomWorld) check(t *testing.T, api *apitest.Instance, me string, round int) {
	t.Helper()
	ofWorld := func(p idPage, world map[string]bool) (int, []string) {
		var ids []string
		for _, id := range p.ids() {
			if world[id] {
				ids = append(ids, id)
			}
		}
		return len(ids), ids
	}
	contactsOf, activitiesOf := map[string]bool{}, map[string]bool{}
	for c := range w.contactAcct {
		contactsOf[c] = true
	}
	for a := range w.actLead {
		activitiesOf[a] = true
	}
	contactOK := func(c string) bool { return w.contactVisible(me, c) }
	activityOK := func(a string) bool { return w.activityVisible(me, a) }

	// Root pages: the world's rows among all the caller sees (other rounds' rows are there too),
	// and counts restricted to this round by a where on the round's accounts and ids.
	// In id order a page is checked row by row; sorted, it reads the visible set (wholeSet).
	var root, sorted struct{ Contacts, Activities idPage }
	api.Data(t, `{ contacts(first: 200) { totalCount edges { node { id } } }
		activities(first: 200) { totalCount edges { node { id } } } }`, nil, &root)
	api.Data(t, `{ contacts(first: 200, orderBy: [{field: LAST_NAME}]) { totalCount edges { node { id } } }
		activities(first: 200, orderBy: [{field: OCCURRED_AT, direction: DESC}]) { totalCount edges { node { id } } } }`, nil, &sorted)
	if !slices.Equal(root.Contacts.ids(), sorted.Contacts.ids()) || !slices.Equal(root.Activities.ids(), sorted.Activities.ids()) {
		t.Errorf("round %d, %s: sorted pages hold other rows than pages in id order", round, me)
	}
	if _, got := ofWorld(root.Contacts, contactsOf); !slices.Equal(got, want(w.contactAcct, contactOK)) {
		t.Errorf("round %d, %s: contacts = %v, want %v", round, me, got, want(w.contactAcct, contactOK))
	}
	if _, got := ofWorld(root.Activities, activitiesOf); !slices.Equal(got, want(w.actLead, activityOK)) {
		t.Errorf("round %d, %s: activities = %v, want %v", round, me, got, want(w.actLead, activityOK))
	}
	// Without where or search the contacts' totalCount is read from the counters per reach
	// (internal/contactcount): root and sorted alike, against the rows of the page.
	if root.Contacts.TotalCount != len(root.Contacts.Edges) || root.Activities.TotalCount != len(root.Activities.Edges) ||
		sorted.Contacts.TotalCount != len(sorted.Contacts.Edges) {
		t.Errorf("round %d, %s: totalCount %d/%d, edges %d/%d", round, me, root.Contacts.TotalCount,
			root.Activities.TotalCount, len(root.Contacts.Edges), len(root.Activities.Edges))
	}
	// A page of one: a page holding the whole set takes its totalCount from its rows when the
	// count says 0 (entgql), which would hide a counter at 0.
	var one struct{ Contacts idPage }
	api.Data(t, `{ contacts(first: 1) { totalCount edges { node { id } } } }`, nil, &one)
	if one.Contacts.TotalCount != len(root.Contacts.Edges) {
		t.Errorf("round %d, %s: totalCount %d with a page of one, %d contacts visible", round, me, one.Contacts.TotalCount, len(root.Contacts.Edges))
	}
	ids := func(m map[string]string) []string { return want(m, func(string) bool { return true }) }
	var counted struct{ Contacts, Activities idPage }
	api.Data(t, `query($c: [ID!], $a: [ID!]) { contacts(where: {idIn: $c}) { totalCount }
		activities(where: {idIn: $a}) { totalCount } }`, map[string]any{"c": ids(w.contactAcct), "a": ids(w.actLead)}, &counted)
	if counted.Contacts.TotalCount != len(want(w.contactAcct, contactOK)) || counted.Activities.TotalCount != len(want(w.actLead, activityOK)) {
		t.Errorf("round %d, %s: counts %d contacts, %d activities; want %d, %d", round, me, counted.Contacts.TotalCount,
			counted.Activities.TotalCount, len(want(w.contactAcct, contactOK)), len(want(w.actLead, activityOK)))
	}

	// Nested edges: every account's contacts, every visible contact's activities.
	var nested struct {
		Nodes []struct {
			ID         string
			Contacts   idPage
			Activities idPage
		}
	}
	api.Data(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id
		... on Account { contacts(first: 100) { totalCount edges { node { id } } } }
		... on Contact { activities(first: 100) { totalCount edges { node { id } } } } } }`,
		map[string]any{"ids": append(slices.Clone(w.accounts), want(w.contactAcct, contactOK)...)}, &nested)
	for _, n := range nested.Nodes {
		var got idPage
		var wantIDs []string
		if slices.Contains(w.accounts, n.ID) {
			got = n.Contacts
			wantIDs = want(w.contactAcct, func(c string) bool { return w.contactAcct[c] == n.ID && contactOK(c) })
		} else {
			got = n.Activities
			wantIDs = want(w.actContact, func(a string) bool { return w.actContact[a] == n.ID && activityOK(a) })
		}
		if !slices.Equal(got.ids(), wantIDs) || got.TotalCount != len(wantIDs) {
			t.Errorf("round %d, %s: under %s %v (total %d), want %v", round, me, n.ID, got.ids(), got.TotalCount, wantIDs)
		}
	}

	// Where inputs: accounts with a visible contact, contacts with a visible activity.
	var where struct{ Accounts, Contacts idPage }
	api.Data(t, `query($a: [ID!], $c: [ID!]) {
		accounts(first: 100, where: {idIn: $a, hasContactsWith: [{}]}) { totalCount edges { node { id } } }
		contacts(first: 100, where: {idIn: $c, hasActivities: true}) { totalCount edges { node { id } } } }`,
		map[string]any{"a": w.accounts, "c": ids(w.contactAcct)}, &where)
	var wantAccounts []string
	for _, a := range w.accounts {
		if slices.ContainsFunc(want(w.contactAcct, contactOK), func(c string) bool { return w.contactAcct[c] == a }) {
			wantAccounts = append(wantAccounts, a)
		}
	}
	slices.Sort(wantAccounts)
	wantContacts := want(w.contactAcct, func(c string) bool {
		return contactOK(c) && len(want(w.actContact, func(a string) bool { return w.actContact[a] == c && activityOK(a) })) > 0
	})
	if !slices.Equal(where.Accounts.ids(), wantAccounts) || where.Accounts.TotalCount != len(wantAccounts) {
		t.Errorf("round %d, %s: accounts with a visible contact %v, want %v", round, me, where.Accounts.ids(), wantAccounts)
	}
	if !slices.Equal(where.Contacts.ids(), wantContacts) || where.Contacts.TotalCount != len(wantContacts) {
		t.Errorf("round %d, %s: contacts with a visible activity %v, want %v", round, me, where.Contacts.ids(), wantContacts)
	}
}
