package policyadmin_test

import (
	"testing"

	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

type loggedDecision struct {
	DecisionID, Kind, Path, Revision, RevisionHash, Caller, CallerRole, Trigger string
	Input, Result                                                               map[string]any
	Reasons                                                                     []struct{ Code string }
	LatencyMs                                                                   float64
}

const decisionFields = `decisionID kind path revision revisionHash caller callerRole trigger input result reasons { code } latencyMs`

// Every qualification, transition and routing decision of a lead is logged with its revision
// hash, input, result and caller; decision(id) finds the one a transition names; a replay on the
// decision's revision reproduces it exactly, on another shows the reasons that differ; the log
// follows the lead's row filter.
func TestDecisionLogAndReplay(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api, dir := seeded(t, db, 20)
		shipped := api.App.Engine.Active().Hash()
		revops := api.As(t, "revops", "", "")
		var c struct{ CreateLead struct{ ID string } }
		revops.Data(t, `mutation { createLead(input: {lastName: "Logged", source: REFERRAL, need: YES, budget: YES, authority: YES}) { id } }`, nil, &c)
		id := c.CreateLead.ID
		// engagement 14: a lead under the shipped threshold of 15, an MQL under the draft's 10
		var p struct{ CreateLead struct{ ID string } }
		revops.Data(t, `mutation { createLead(input: {lastName: "Probe", source: REFERRAL}) { id } }`, nil, &p)
		for _, kind := range []string{"EVENT_VISIT", "CONTENT_DOWNLOAD"} {
			revops.Data(t, `mutation($l: ID!, $k: ActivityKind!) { createActivity(input: {kind: $k, leadID: $l}) { id } }`,
				map[string]any{"l": p.CreateLead.ID, "k": kind}, &struct{}{})
		}

		var n struct {
			Node struct {
				Transitions struct {
					Edges []struct{ Node struct{ DecisionID string } }
				}
				Decisions struct {
					TotalCount int
					Edges      []struct{ Node loggedDecision }
				}
			}
		}
		api.Data(t, `query($id: ID!) { node(id: $id) { ... on Lead { transitions { edges { node { decisionID } } }
			decisions(first: 50) { totalCount edges { node { `+decisionFields+` } } } } } }`, map[string]any{"id": id}, &n)
		kinds := map[string]int{}
		for _, e := range n.Node.Decisions.Edges {
			d := e.Node
			kinds[d.Kind]++
			if d.RevisionHash != shipped || d.DecisionID == "" || d.Input == nil || d.Result == nil || d.Caller == "" || d.LatencyMs <= 0 {
				t.Errorf("logged decision: %+v", d)
			}
		}
		if kinds["LEAD"] == 0 || kinds["TRANSITION"] == 0 || kinds["ROUTING"] == 0 {
			t.Fatalf("decisions by kind: %v", kinds)
		}
		if len(n.Node.Transitions.Edges) == 0 {
			t.Fatal("no transition")
		}
		var one struct{ Decision *loggedDecision }
		tid := n.Node.Transitions.Edges[0].Node.DecisionID
		api.Data(t, `query($id: String!) { decision(id: $id) { `+decisionFields+` } }`, map[string]any{"id": tid}, &one)
		if one.Decision == nil || one.Decision.Kind != "TRANSITION" || one.Decision.Result["allow"] != true {
			t.Fatalf("decision(%s) = %+v", tid, one.Decision)
		}

		// Row filter: a rep outside the owner's team sees neither the decision nor the lead's log;
		// an analyst sees both.
		var owned struct {
			Leads struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		api.Data(t, `{ leads(first: 1, where: {hasOwner: true}) { edges { node { id } } } }`, nil, &owned)
		if len(owned.Leads.Edges) == 0 {
			t.Fatal("no seeded lead has an owner")
		}
		oid := owned.Leads.Edges[0].Node.ID
		revops.Data(t, `mutation($l: ID!) { createActivity(input: {kind: WEB_VISIT, leadID: $l}) { id } }`, map[string]any{"l": oid}, &struct{}{})
		var od struct {
			Node struct {
				Decisions struct {
					Edges []struct{ Node loggedDecision }
				}
			}
		}
		api.Data(t, `query($id: ID!) { node(id: $id) { ... on Lead { decisions(first: 1) { edges { node { decisionID } } } } } }`,
			map[string]any{"id": oid}, &od)
		if len(od.Node.Decisions.Edges) == 0 {
			t.Fatal("the activity's requalification is not logged")
		}
		did := od.Node.Decisions.Edges[0].Node.DecisionID
		for _, who := range []struct {
			role, team string
			sees       bool
		}{{"bdr", "nobody-team", false}, {"analyst", "", true}} {
			var got struct{ Decision *loggedDecision }
			api.As(t, who.role, who.team, "").Data(t, `query($id: String!) { decision(id: $id) { decisionID } }`, map[string]any{"id": did}, &got)
			if (got.Decision != nil) != who.sees {
				t.Errorf("%s of %q sees decision %s: %v, want %v", who.role, who.team, did, got.Decision != nil, who.sees)
			}
		}

		// Replay the probe's qualification: exact on its revision, different on the draft's.
		var pd struct {
			Node struct {
				Decisions struct {
					Edges []struct{ Node loggedDecision }
				}
			}
		}
		api.Data(t, `query($id: ID!) { node(id: $id) { ... on Lead { decisions(first: 50, orderBy: {field: DECIDED_AT, direction: DESC}) { edges { node { `+decisionFields+` } } } } } }`,
			map[string]any{"id": p.CreateLead.ID}, &pd)
		var last *loggedDecision
		for _, e := range pd.Node.Decisions.Edges {
			if e.Node.Kind == "LEAD" {
				last = &e.Node
				break
			}
		}
		if last == nil || last.Result["stage"] != "lead" {
			t.Fatalf("the probe's last qualification: %+v", last)
		}
		type replay struct {
			ReplayDecision struct {
				RevisionHash                               string
				Same                                       bool
				Original, Replayed                         map[string]any
				ReasonsOnlyInOriginal, ReasonsOnlyInReplay []struct{ Code string }
			}
		}
		const replayQuery = `query($id: String!, $r: String!) { replayDecision(id: $id, revision: $r) { revisionHash same original replayed
			reasonsOnlyInOriginal { code } reasonsOnlyInReplay { code } } }`
		var same replay
		api.Data(t, replayQuery, map[string]any{"id": last.DecisionID, "r": shipped}, &same)
		if r := same.ReplayDecision; !r.Same || len(r.ReasonsOnlyInOriginal)+len(r.ReasonsOnlyInReplay) != 0 {
			t.Errorf("replay on its own revision: %+v", r)
		}

		var pub struct{ PublishPolicy published }
		api.Data(t, `mutation($d: PolicyDraftInput!) { publishPolicy(input: {draft: $d, message: "lower MQL"}) { `+revisionFields+` } }`,
			map[string]any{"d": lowerMQL(t, dir)}, &pub)
		var other replay
		api.Data(t, replayQuery, map[string]any{"id": last.DecisionID, "r": pub.PublishPolicy.Revision.Hash}, &other)
		r := other.ReplayDecision
		if r.Same || r.Replayed["stage"] != "mql" || r.Original["stage"] != "lead" || r.RevisionHash != pub.PublishPolicy.Revision.Hash {
			t.Errorf("replay on the draft: %+v", r)
		}
		if !hasCode(r.ReasonsOnlyInReplay, "STAGE_MQL_SCORE") || !hasCode(r.ReasonsOnlyInOriginal, "STAGE_LEAD_NO_SIGNAL") {
			t.Errorf("reasons that differ: original %v, replay %v", r.ReasonsOnlyInOriginal, r.ReasonsOnlyInReplay)
		}
		api.Fail(t, "NOT_FOUND", replayQuery, map[string]any{"id": "no-such-decision", "r": shipped})
		api.Fail(t, "NOT_FOUND", replayQuery, map[string]any{"id": last.DecisionID, "r": "no-such-revision"})
	})
}

func hasCode(rs []struct{ Code string }, code string) bool {
	for _, r := range rs {
		if r.Code == code {
			return true
		}
	}
	return false
}
