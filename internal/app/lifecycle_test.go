package app_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

type leadView struct {
	ID            string
	Version       int
	Stage         struct{ Key string }
	Owner         *struct{ ID string }
	Qualification struct {
		RecommendedStage string
		Reasons          []struct{ Code, Message string }
	}
	Transitions struct {
		TotalCount int
		Edges      []struct {
			Node struct {
				FromStage  *struct{ Key string }
				ToStage    struct{ Key string }
				Trigger    string
				ReasonCode string
			}
		}
	}
}

const leadFields = `id version stage { key } owner { id } qualification { recommendedStage reasons { code message } }
	transitions(first: 20) { totalCount edges { node { fromStage { key } toStage { key } trigger reasonCode } } }`

func getLead(t *testing.T, api *apitest.Instance, id string) leadView {
	t.Helper()
	var out struct{ Node leadView }
	api.Data(t, `query($id: ID!) { node(id: $id) { ... on Lead { `+leadFields+` } } }`, map[string]any{"id": id}, &out)
	return out.Node
}

func transition(api *apitest.Instance, t *testing.T, leadID, to, code, reason string) apitest.Response {
	t.Helper()
	return api.Do(t, `mutation($in: TransitionLeadInput!) { transitionLead(input: $in) { lead { `+leadFields+` } transition { toStage { key } } } }`,
		map[string]any{"in": map[string]any{"leadId": leadID, "toStage": to, "reasonCode": code, "reason": reason}})
}

func codes(r apitest.Response) string {
	var cs []string
	for _, e := range r.Errors {
		cs = append(cs, e.Code())
	}
	return strings.Join(cs, ",")
}

func TestLeadLifecycle(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		bdrID := api.User(t, "Bea", "BDR", "emea-bdr")
		bdr := as(t, api, bdrID, "bdr", "emea-bdr")
		revops := as(t, api, api.User(t, "Rex", "REVOPS", "revops"), "revops", "revops")
		analyst := as(t, api, api.User(t, "Ana", "ANALYST", "analytics"), "analyst", "analytics")
		ae := as(t, api, api.User(t, "Abe", "AE", "emea-ae"), "ae", "emea-ae")

		// A new lead without engagement stays a lead.
		var created struct{ CreateLead leadView }
		bdr.Data(t, `mutation { createLead(input: {firstName: "Nina", lastName: "News", email: "nina@gmail.com", source: WEB_FORM, country: "DE"}) { `+leadFields+` } }`, nil, &created)
		l := created.CreateLead
		if l.Stage.Key != "lead" {
			t.Fatalf("new lead in %s", l.Stage.Key)
		}

		// A newsletter sign-up turns it into an MQL, explained by a reason, recorded as an auto move.
		bdr.Data(t, `mutation($id: ID!) { createActivity(input: {kind: NEWSLETTER_SIGNUP, leadID: $id}) { id } }`, map[string]any{"id": l.ID}, &struct{}{})
		l = getLead(t, bdr, l.ID)
		if l.Stage.Key != "mql" {
			t.Fatalf("after a newsletter sign-up the lead is in %s, want mql (reasons %+v)", l.Stage.Key, l.Qualification.Reasons)
		}
		if !hasReason(l, "STAGE_MQL") {
			t.Errorf("no STAGE_MQL* reason explains the move: %+v", l.Qualification.Reasons)
		}
		if n := l.Transitions.Edges[0].Node; n.ToStage.Key != "mql" || n.Trigger != "AUTO" || n.FromStage == nil || n.FromStage.Key != "lead" {
			t.Errorf("newest history row = %+v, want lead → mql AUTO", n)
		}

		// SQL without a decision maker (and without need, budget) is refused with reasons; nothing is written.
		r := transition(bdr, t, l.ID, "sql", "", "")
		if codes(r) != "TRANSITION_DENIED" || !strings.Contains(fmt.Sprint(r.Errors[0].Extensions["reasons"]), "DECISION_MAKER") {
			t.Fatalf("sql without a decision maker: %s %+v", codes(r), r.Errors)
		}
		if after := getLead(t, bdr, l.ID); after.Version != l.Version || after.Transitions.TotalCount != l.Transitions.TotalCount {
			t.Errorf("a refused move wrote something: version %d→%d, history %d→%d", l.Version, after.Version, l.Transitions.TotalCount, after.Transitions.TotalCount)
		}

		// Backward: revops may with a reason, the analyst may not.
		if r := transition(analyst, t, l.ID, "lead", "data_fix", "imported twice"); codes(r) != "FORBIDDEN" && codes(r) != "TRANSITION_DENIED" {
			t.Errorf("analyst moved a lead back: %s", codes(r))
		}
		if r := transition(bdr, t, l.ID, "lead", "data_fix", "wrong"); codes(r) != "TRANSITION_DENIED" {
			t.Errorf("a BDR moved a lead back: %s", codes(r))
		}
		r = transition(revops, t, l.ID, "lead", "data_fix", "newsletter sign-up was a test")
		if len(r.Errors) > 0 {
			t.Fatalf("revops back move: %+v", r.Errors)
		}

		// Disqualifying needs a reason code; with one it is a transition, and the lead is kept.
		if r := transition(bdr, t, l.ID, "disqualified", "", "not a fit"); codes(r) != "TRANSITION_DENIED" {
			t.Errorf("disqualify without a reason code: %s", codes(r))
		}
		if r := transition(bdr, t, l.ID, "disqualified", "no_budget", "no budget this year"); len(r.Errors) > 0 {
			t.Fatalf("disqualify: %+v", r.Errors)
		}
		l = getLead(t, bdr, l.ID)
		if l.Stage.Key != "disqualified" || l.Transitions.Edges[0].Node.ReasonCode != "no_budget" {
			t.Errorf("after disqualify: %s %+v", l.Stage.Key, l.Transitions.Edges[0].Node)
		}
		_ = ae

		// Handoff: a lead that reaches sal is assigned to the least-loaded user of the team the
		// routing policy names (the only emea-bdr user here), and the assignment is on its history.
		var acc struct{ CreateAccount struct{ ID string } }
		api.Data(t, `mutation { createAccount(input: {name: "Umbrella", domain: "umbrella.de", industry: "software", employeeCount: 400, country: "DE", region: EMEA}) { id } }`, nil, &acc)
		var hot struct{ CreateLead leadView }
		bdr.Data(t, `mutation($a: ID!) { createLead(input: {lastName: "Wesker", email: "aw@umbrella.de", source: TRADE_FAIR, accountID: $a}) { id } }`,
			map[string]any{"a": acc.CreateAccount.ID}, &hot)
		var timed struct {
			Node struct {
				TimeInStage int
				StageTimes  []struct {
					Stage           struct{ Key string }
					Seconds, Visits int
				}
			}
		}
		bdr.Data(t, `mutation($id: ID!) { createActivity(input: {kind: APPOINTMENT_REQUEST, leadID: $id}) { id } }`, map[string]any{"id": hot.CreateLead.ID}, &struct{}{})
		h := getLead(t, bdr, hot.CreateLead.ID)
		if h.Stage.Key != "sal" {
			if r := transition(bdr, t, h.ID, "sal", "", "appointment booked"); len(r.Errors) > 0 {
				t.Fatalf("to sal: %+v (recommended %s)", r.Errors, h.Qualification.RecommendedStage)
			}
			h = getLead(t, bdr, h.ID)
		}
		if h.Owner == nil || h.Owner.ID != bdrID {
			t.Errorf("lead reaching sal is owned by %+v, want the emea-bdr user %s", h.Owner, bdrID)
		}
		bdr.Data(t, `query($id: ID!) { node(id: $id) { ... on Lead { timeInStage stageTimes { stage { key } seconds visits } } } }`, map[string]any{"id": h.ID}, &timed)
		if len(timed.Node.StageTimes) < 2 || timed.Node.StageTimes[len(timed.Node.StageTimes)-1].Stage.Key != "sal" || timed.Node.TimeInStage < 0 {
			t.Errorf("time in stage: %+v", timed.Node)
		}
	})
}

func hasReason(l leadView, prefix string) bool {
	for _, r := range l.Qualification.Reasons {
		if strings.HasPrefix(r.Code, prefix) {
			return true
		}
	}
	return false
}

// Conversion reuses the account with the given domain and the contact with the lead's email.
func TestConvertLeadReusesAccount(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		ae := as(t, api, api.User(t, "Ada", "AE", "emea-ae"), "ae", "emea-ae")
		var acc struct{ CreateAccount struct{ ID string } }
		api.Data(t, `mutation { createAccount(input: {name: "Initech", domain: "initech.com", industry: "software", employeeCount: 800, country: "DE", region: EMEA}) { id } }`, nil, &acc)
		var dm struct{ CreateContact struct{ ID string } }
		api.Data(t, `mutation($a: ID!) { createContact(input: {firstName: "Bill", lastName: "Lumbergh", email: "bill@initech.com", buyingRole: DECISION_MAKER, seniority: VP, accountID: $a}) { id } }`,
			map[string]any{"a": acc.CreateAccount.ID}, &dm)
		var created struct{ CreateLead leadView }
		api.Data(t, `mutation($c: ID!) { createLead(input: {firstName: "Peter", lastName: "Gibbons", email: "peter@initech.com", source: REFERRAL,
			need: YES, budget: YES, timing: YES, authority: NO, contactIDs: [$c]}) { `+leadFields+` } }`, map[string]any{"c": dm.CreateContact.ID}, &created)
		l := created.CreateLead
		if l.Stage.Key != "sql" {
			if r := transition(ae, t, l.ID, "sql", "", "discovery call confirmed need and budget"); len(r.Errors) > 0 {
				t.Fatalf("to sql: %+v (recommended %s)", r.Errors, l.Qualification.RecommendedStage)
			}
		}
		var conv struct {
			ConvertLead struct {
				Lead    leadView
				Account struct{ ID string }
				Contact struct{ ID, Email string }
			}
		}
		r := ae.Do(t, `mutation($id: ID!) { convertLead(input: {leadId: $id, opportunityName: "Initech TPS rollout", amount: 120000, accountDomain: "https://www.initech.com"}) {
			lead { `+leadFields+` } account { id } contact { id email } } }`, map[string]any{"id": l.ID})
		if len(r.Errors) > 0 {
			t.Fatalf("convertLead: %+v", r.Errors)
		}
		_ = json.Unmarshal(r.Data, &conv)
		c := conv.ConvertLead
		if c.Account.ID != acc.CreateAccount.ID {
			t.Errorf("conversion used account %s, want the existing %s", c.Account.ID, acc.CreateAccount.ID)
		}
		if c.Lead.Stage.Key != "opportunity" || c.Contact.Email != "peter@initech.com" {
			t.Errorf("after conversion: stage %s, contact %+v", c.Lead.Stage.Key, c.Contact)
		}
		var counts struct {
			Accounts struct{ TotalCount int }
		}
		api.Data(t, `{ accounts { totalCount } }`, nil, &counts)
		if counts.Accounts.TotalCount != 1 {
			t.Errorf("conversion created accounts: %d", counts.Accounts.TotalCount)
		}
		// Converting again is refused: opportunity only from sql.
		if r := ae.Do(t, `mutation($id: ID!) { convertLead(input: {leadId: $id, opportunityName: "again"}) { lead { id } } }`, map[string]any{"id": l.ID}); codes(r) != "TRANSITION_DENIED" {
			t.Errorf("second conversion: %s", codes(r))
		}
	})
}
