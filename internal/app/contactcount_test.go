package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// The contacts connection's totalCount without where or search is read from the counters per
// reach signature (no count over the contacts), and stays exact for every row filter (all;
// own_or_team, own and team) through the seed (COPY on PostgreSQL) and every write that moves a
// contact's reach: createContact, updateContact (account, links), createLead at an account,
// updateLead (owner), a user changing team, and contacts and leads deleted in SQL. With a where
// it counts rows.
func TestContactTotalCountFromCounters(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: 60, Seed: 5, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Pool: db.SQL}); err != nil {
			t.Fatal(err)
		}
		bundle := func(c *app.Config) { c.PoliciesDir, c.PageMax = ownAndTeamBundle(t), 1000 }
		api := apitest.Start(t, db, bundle)
		counted, st := apitest.CountStatements(db)
		reader := apitest.Start(t, counted, bundle)
		callers, bea, nat, abe := counterCallers(t, api, reader)
		// The count is asked with first: 1, for a page short of the whole set would have its
		// totalCount taken from the page when the count said 0 (entgql); the visible contacts are a
		// page without totalCount (no count at all).
		type page struct {
			Contacts struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
			}
		}
		check := func(step string) {
			t.Helper()
			for name, c := range callers {
				var all, p, f page
				c.Data(t, `{ contacts(first: 1000) { edges { node { id } } } }`, nil, &all)
				st.Take()
				c.Data(t, `{ contacts(first: 1) { totalCount edges { node { id } } } }`, nil, &p)
				stmts := strings.Join(st.Take(), "\n")
				if p.Contacts.TotalCount != len(all.Contacts.Edges) {
					t.Errorf("%s, %s: totalCount %d, %d contacts visible", step, name, p.Contacts.TotalCount, len(all.Contacts.Edges))
				}
				if !strings.Contains(stmts, "contact_reach_counts") || strings.Contains(strings.ToUpper(stmts), "COUNT(") {
					t.Errorf("%s, %s: totalCount not read from the counters:\n%s", step, name, stmts)
				}
				c.Data(t, `{ contacts(first: 1, where: {lastNameNEQ: "nobody is called this"}) { totalCount edges { node { id } } } }`, nil, &f)
				stmts = strings.Join(st.Take(), "\n")
				if f.Contacts.TotalCount != len(all.Contacts.Edges) {
					t.Errorf("%s, %s: with a where totalCount %d, %d contacts visible", step, name, f.Contacts.TotalCount, len(all.Contacts.Edges))
				}
				if strings.Contains(stmts, "contact_reach_counts") {
					t.Errorf("%s, %s: a count with a where read the counters", step, name)
				}
			}
		}
		check("seeded")

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
		acct := create(`mutation { createAccount(input: {name: "Initech", domain: "initech.example", country: "DE"}) { id } }`, nil)
		other := create(`mutation { createAccount(input: {name: "Hooli", domain: "hooli.example", country: "DE"}) { id } }`, nil)
		lead := create(`mutation($o: ID!) { createLead(input: {lastName: "Lumbergh", email: "bl@mail.example", source: WEB_FORM, ownerID: $o}) { id } }`,
			map[string]any{"o": bea})
		linked := create(`mutation($l: [ID!]) { createContact(input: {lastName: "Gibbons", email: "pg@initech.example", leadIDs: $l}) { id } }`,
			map[string]any{"l": []string{lead}})
		atAcct := create(`mutation($a: ID!) { createContact(input: {lastName: "Bolton", email: "mb@initech.example", accountID: $a}) { id } }`,
			map[string]any{"a": acct})
		create(`mutation { createContact(input: {lastName: "Nobody", email: "no@body.example"}) { id } }`, nil)
		check("contacts created")

		atLead := create(`mutation($a: ID!, $o: ID!) { createLead(input: {lastName: "Waddams", email: "mw@initech.example", source: WEB_FORM, accountID: $a, ownerID: $o}) { id } }`,
			map[string]any{"a": acct, "o": abe})
		check("lead at the account")

		api.Data(t, `mutation($id: ID!, $o: ID!) { updateLead(id: $id, input: {ownerID: $o}) { id } }`, map[string]any{"id": lead, "o": nat}, &struct{}{})
		api.Data(t, `mutation($id: ID!) { updateLead(id: $id, input: {clearOwner: true}) { id } }`, map[string]any{"id": atLead}, &struct{}{})
		check("updateLead")

		api.Data(t, `mutation($id: ID!, $a: ID!) { updateContact(id: $id, input: {accountID: $a}) { id } }`, map[string]any{"id": atAcct, "a": other}, &struct{}{})
		api.Data(t, `mutation($id: ID!, $l: [ID!], $a: [ID!]) { updateContact(id: $id, input: {removeLeadIDs: $l, addLeadIDs: $a}) { id } }`,
			map[string]any{"id": linked, "l": []string{lead}, "a": []string{atLead}}, &struct{}{})
		check("updateContact")

		api.Data(t, `mutation($u: ID!) { updateUser(id: $u, input: {team: "emea-bdr"}) { id } }`, map[string]any{"u": nat}, &struct{}{})
		check("Nat moved to emea-bdr")

		for _, q := range []string{
			"DELETE FROM contacts WHERE id IN (SELECT id FROM contacts ORDER BY id LIMIT 3)",
			"DELETE FROM stage_transitions WHERE lead_id IN (SELECT id FROM leads WHERE account_id IS NOT NULL ORDER BY id LIMIT 2)",
			"DELETE FROM leads WHERE id IN (SELECT id FROM leads WHERE account_id IS NOT NULL ORDER BY id LIMIT 2)",
		} {
			if _, err := db.SQL.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		check("deleted in SQL")
	})
}
