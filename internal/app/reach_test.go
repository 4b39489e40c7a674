package app_test

import (
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// Activity logged on a lead counts for the contact with the same email: Jane signed up for the
// newsletter as a lead, and the account's decision-maker coverage shows her reached, by that
// sign-up, then; lastActivityAt is kept on the lead and on the contact by each activity write.
func TestLastActivityAndDecisionMakerReachAcrossLeadAndContact(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		var acc struct{ CreateAccount struct{ ID string } }
		api.Data(t, `mutation { createAccount(input: {name: "Initech", domain: "initech.com", country: "US"}) { id } }`, nil, &acc)
		a := acc.CreateAccount.ID
		var lead struct {
			CreateLead struct {
				ID             string
				LastActivityAt *time.Time
			}
		}
		api.Data(t, `mutation($a: ID!) { createLead(input: {firstName: "Jane", lastName: "Roe", email: "jane@initech.com", source: NEWSLETTER, accountID: $a}) { id lastActivityAt } }`,
			map[string]any{"a": a}, &lead)
		if lead.CreateLead.LastActivityAt != nil {
			t.Errorf("new lead lastActivityAt = %v, want null", lead.CreateLead.LastActivityAt)
		}
		signup := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
		api.Data(t, `mutation($l: ID!, $at: Time!) { createActivity(input: {kind: NEWSLETTER_SIGNUP, leadID: $l, occurredAt: $at}) { id } }`,
			map[string]any{"l": lead.CreateLead.ID, "at": signup}, &struct{}{})

		// The contact is created after the sign-up and takes it at once.
		var jane, bill struct {
			CreateContact struct {
				ID             string
				LastActivityAt *time.Time
			}
		}
		api.Data(t, `mutation($a: ID!) { createContact(input: {firstName: "Jane", lastName: "Roe", email: "JANE@initech.com", buyingRole: DECISION_MAKER, accountID: $a}) { id lastActivityAt } }`,
			map[string]any{"a": a}, &jane)
		if at := jane.CreateContact.LastActivityAt; at == nil || !at.Equal(signup) {
			t.Errorf("contact lastActivityAt = %v, want the lead's sign-up %v", at, signup)
		}
		api.Data(t, `mutation($a: ID!) { createContact(input: {firstName: "Bill", lastName: "Lumbergh", email: "bill@initech.com", buyingRole: DECISION_MAKER, accountID: $a}) { id lastActivityAt } }`,
			map[string]any{"a": a}, &bill)

		// A later meeting on the contact moves the contact on, not the lead.
		meeting := signup.Add(48 * time.Hour)
		api.Data(t, `mutation($c: ID!, $at: Time!) { createActivity(input: {kind: MEETING, contactID: $c, occurredAt: $at}) { id } }`,
			map[string]any{"c": jane.CreateContact.ID, "at": meeting}, &struct{}{})
		// An older web visit on the lead moves nothing back.
		api.Data(t, `mutation($l: ID!, $at: Time!) { createActivity(input: {kind: WEB_VISIT, leadID: $l, occurredAt: $at}) { id } }`,
			map[string]any{"l": lead.CreateLead.ID, "at": signup.Add(-time.Hour)}, &struct{}{})

		var got struct {
			Lead    struct{ LastActivityAt *time.Time }
			Account struct {
				DecisionMakerCoverage []struct {
					Contact        struct{ ID string }
					Reached        bool
					LastActivityAt *time.Time
					LastActivity   *struct{ Kind string }
					ViaLead        *struct{ ID string }
				}
			}
		}
		api.Data(t, `query($l: ID!, $a: ID!) {
			lead: node(id: $l) { ... on Lead { lastActivityAt } }
			account: node(id: $a) { ... on Account { decisionMakerCoverage { contact { id } reached lastActivityAt lastActivity { kind } viaLead { id } } } } }`,
			map[string]any{"l": lead.CreateLead.ID, "a": a}, &got)
		if at := got.Lead.LastActivityAt; at == nil || !at.Equal(signup) {
			t.Errorf("lead lastActivityAt = %v, want %v", at, signup)
		}
		cov := got.Account.DecisionMakerCoverage
		if len(cov) != 2 {
			t.Fatalf("coverage = %+v, want Jane and Bill", cov)
		}
		if j := cov[0]; j.Contact.ID != jane.CreateContact.ID || !j.Reached || j.LastActivityAt == nil || !j.LastActivityAt.Equal(meeting) ||
			j.LastActivity == nil || j.LastActivity.Kind != "MEETING" || j.ViaLead != nil {
			t.Errorf("Jane = %+v, want reached by the MEETING at %v on the contact", j, meeting)
		}
		if b := cov[1]; b.Contact.ID != bill.CreateContact.ID || b.Reached || b.LastActivityAt != nil {
			t.Errorf("Bill = %+v, want unreached", b)
		}

		// Without the meeting, Jane's reach is the lead's sign-up, through the lead.
		var only struct {
			Account struct {
				DecisionMakerCoverage []struct {
					Reached      bool
					LastActivity *struct{ Kind string }
					ViaLead      *struct{ ID string }
				}
			}
		}
		var acc2 struct{ CreateAccount struct{ ID string } }
		api.Data(t, `mutation { createAccount(input: {name: "Hooli", domain: "hooli.com", country: "US"}) { id } }`, nil, &acc2)
		api.Data(t, `mutation($a: ID!) { createLead(input: {lastName: "Doe", email: "jd@hooli.com", source: NEWSLETTER, accountID: $a}) { id } }`, map[string]any{"a": acc2.CreateAccount.ID}, &lead)
		api.Data(t, `mutation($l: ID!) { createActivity(input: {kind: NEWSLETTER_SIGNUP, leadID: $l}) { id } }`, map[string]any{"l": lead.CreateLead.ID}, &struct{}{})
		api.Data(t, `mutation($a: ID!) { createContact(input: {lastName: "Doe", email: "jd@hooli.com", buyingRole: DECISION_MAKER, accountID: $a}) { id } }`, map[string]any{"a": acc2.CreateAccount.ID}, &struct{}{})
		api.Data(t, `query($a: ID!) { account: node(id: $a) { ... on Account { decisionMakerCoverage { reached lastActivity { kind } viaLead { id } } } } }`,
			map[string]any{"a": acc2.CreateAccount.ID}, &only)
		if c := only.Account.DecisionMakerCoverage; len(c) != 1 || !c[0].Reached || c[0].LastActivity == nil || c[0].LastActivity.Kind != "NEWSLETTER_SIGNUP" ||
			c[0].ViaLead == nil || c[0].ViaLead.ID != lead.CreateLead.ID {
			t.Errorf("coverage = %+v, want reached by the lead's NEWSLETTER_SIGNUP via lead %s", c, lead.CreateLead.ID)
		}
	})
}

// A lead whose email changes becomes another person: the contact with the new email takes the
// lead's activity at once, and the contact with the old one loses it.
func TestLeadEmailChangeMovesItsActivityBetweenContacts(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		var lead struct{ CreateLead struct{ ID string } }
		api.Data(t, `mutation { createLead(input: {lastName: "Roe", email: "j.roe@initech.com", source: NEWSLETTER}) { id } }`, nil, &lead)
		signup := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
		api.Data(t, `mutation($l: ID!, $at: Time!) { createActivity(input: {kind: NEWSLETTER_SIGNUP, leadID: $l, occurredAt: $at}) { id } }`,
			map[string]any{"l": lead.CreateLead.ID, "at": signup}, &struct{}{})
		var old, jane struct{ CreateContact struct{ ID string } }
		api.Data(t, `mutation { createContact(input: {lastName: "Roe", email: "j.roe@initech.com"}) { id } }`, nil, &old)
		api.Data(t, `mutation { createContact(input: {firstName: "Jane", lastName: "Roe", email: "jane@initech.com"}) { id } }`, nil, &jane)

		api.Data(t, `mutation($l: ID!) { updateLead(id: $l, input: {email: "Jane@Initech.com"}) { id } }`,
			map[string]any{"l": lead.CreateLead.ID}, &struct{}{})
		var got struct {
			Old, Jane struct{ LastActivityAt *time.Time }
		}
		api.Data(t, `query($o: ID!, $j: ID!) { old: node(id: $o) { ... on Contact { lastActivityAt } } jane: node(id: $j) { ... on Contact { lastActivityAt } } }`,
			map[string]any{"o": old.CreateContact.ID, "j": jane.CreateContact.ID}, &got)
		if at := got.Jane.LastActivityAt; at == nil || !at.Equal(signup) {
			t.Errorf("the contact of the new email: lastActivityAt = %v, want the lead's sign-up %v", at, signup)
		}
		if got.Old.LastActivityAt != nil {
			t.Errorf("the contact of the old email: lastActivityAt = %v, want null (the lead is someone else now)", got.Old.LastActivityAt)
		}
	})
}
