package policyadmin_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// loadVariant activates the active bundle with data.json padded by n newlines: new content
// under the same manifest revision, as a data.json save that does not bump the name.
func loadVariant(t *testing.T, api *apitest.Instance, n int) *policy.Revision {
	t.Helper()
	active := api.App.Engine.Active()
	data, _ := active.Files().Get("data.json")
	fs, err := active.Files().With(map[string][]byte{"data.json": append(append([]byte{}, data...), []byte(strings.Repeat("\n", n))...)})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := api.App.Engine.Load(context.Background(), fs, "test")
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

type revisionRow struct{ Revision, Label, Hash, Status string }

// A revision is its content hash: contents sharing a manifest revision get distinct labels;
// every reference (hash, 12-character prefix, label) finds exactly one, and a shared manifest
// revision is refused with the candidates; decisions, transitions and jobs record the hash, and
// the rollback and the requalification are audited with their author.
func TestRevisionIdentity(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api, _ := seeded(t, db, 5)
		base := api.App.Engine.Active()
		name := base.ID()
		v1, v2 := loadVariant(t, api, 1), loadVariant(t, api, 2)

		var list struct {
			PolicyRevisions struct{ Edges []struct{ Node revisionRow } }
		}
		api.Data(t, `query($r: String!) { policyRevisions(where: {revision: $r}) { edges { node { revision label hash status } } } }`,
			map[string]any{"r": name}, &list)
		labels := map[string]string{}
		for _, e := range list.PolicyRevisions.Edges {
			labels[e.Node.Hash] = e.Node.Label
		}
		want := map[string]string{base.Hash(): name, v1.Hash(): name + "+" + v1.Hash()[:12], v2.Hash(): name + "+" + v2.Hash()[:12]}
		if len(labels) != 3 || labels[base.Hash()] != want[base.Hash()] || labels[v1.Hash()] != want[v1.Hash()] || labels[v2.Hash()] != want[v2.Hash()] {
			t.Fatalf("labels %v, want %v", labels, want)
		}

		// The shared manifest revision names three contents: refused, listing them.
		const rollback = `mutation($r: String!, $m: String) { rollbackPolicy(input: {revision: $r, message: $m}) { revision { label hash status message } } }`
		for _, q := range []struct {
			query string
			vars  map[string]any
		}{
			{rollback, map[string]any{"r": name}},
			{`query($a: String!, $b: String!) { policyRevisionDiff(from: $a, to: $b) { path } }`, map[string]any{"a": name, "b": v2.Hash()}},
		} {
			e := api.Fail(t, "AMBIGUOUS", q.query, q.vars)
			raw, _ := json.Marshal(e.Extensions["candidates"])
			var cands []struct{ Hash, Label string }
			_ = json.Unmarshal(raw, &cands)
			got := map[string]bool{}
			for _, c := range cands {
				got[c.Hash] = c.Label == want[c.Hash]
			}
			if len(cands) != 3 || !got[base.Hash()] || !got[v1.Hash()] || !got[v2.Hash()] {
				t.Errorf("ambiguous %q: candidates %s", name, raw)
			}
		}
		api.Fail(t, "NOT_FOUND", rollback, map[string]any{"r": "0000000000ff"})

		// A 12-character prefix and a label each name one revision.
		var diff struct {
			PolicyRevisionDiff []struct{ Path, Change string }
		}
		api.Data(t, `query($a: String!, $b: String!) { policyRevisionDiff(from: $a, to: $b) { path change } }`,
			map[string]any{"a": base.Hash()[:12], "b": want[v2.Hash()]}, &diff)
		if len(diff.PolicyRevisionDiff) != 1 || diff.PolicyRevisionDiff[0].Path != "data.json" {
			t.Errorf("diff base..v2: %+v", diff.PolicyRevisionDiff)
		}
		var rb struct {
			RollbackPolicy struct{ Revision revisionRow }
		}
		api.Data(t, rollback, map[string]any{"r": base.Hash()[:12], "m": "back to the shipped knobs"}, &rb)
		restored := api.App.Engine.Active()
		got, _ := restored.Files().Get("data.json")
		orig, _ := base.Files().Get("data.json")
		if string(got) != string(orig) || rb.RollbackPolicy.Revision.Hash != restored.Hash() || rb.RollbackPolicy.Revision.Label != restored.ID() {
			t.Errorf("rollback by prefix: %+v, active %s %s", rb.RollbackPolicy.Revision, restored.ID(), restored.Hash())
		}

		// Decisions, transitions and jobs record the hash.
		var c struct {
			CreateLead struct {
				Qualification struct{ PolicyRevision, PolicyHash string }
				Transitions   struct {
					Edges []struct{ Node struct{ PolicyHash string } }
				}
			}
		}
		api.Data(t, `mutation { createLead(input: {lastName: "Ident", source: REFERRAL}) {
			qualification { policyRevision policyHash } transitions { edges { node { policyHash } } } } }`, nil, &c)
		if q := c.CreateLead.Qualification; q.PolicyHash != restored.Hash() || q.PolicyRevision != restored.ID() {
			t.Errorf("qualification %+v, active %s", q, restored.Hash())
		}
		var job struct {
			RequalifyLeads struct {
				Job struct{ ID, PolicyHash string }
			}
		}
		api.Data(t, `mutation { requalifyLeads(input: {}) { job { id policyHash } } }`, nil, &job)
		if job.RequalifyLeads.Job.PolicyHash != restored.Hash() {
			t.Errorf("job policyHash %q, active %s", job.RequalifyLeads.Job.PolicyHash, restored.Hash())
		}

		// Who did it, with the message.
		events := auditEvents(t, api.As(t, "revops", "", ""))
		if e, ok := events["POLICY_ROLLBACK"]; !ok || e.Target != restored.Hash() || e.Message != "back to the shipped knobs" || e.Actor == "" {
			t.Errorf("rollback audit: %+v", events)
		}
		if e, ok := events["REQUALIFY_START"]; !ok || e.Target == "" {
			t.Errorf("requalify audit: %+v", events)
		}
		api.As(t, "bdr", "", "").Fail(t, "FORBIDDEN", `{ auditEvents { totalCount } }`, nil)
	})
}

type auditRow struct{ Action, Actor, ActorRole, Via, Target, Message string }

// auditEvents returns the newest audit event of each action.
func auditEvents(t *testing.T, api *apitest.Instance) map[string]auditRow {
	t.Helper()
	var out struct {
		AuditEvents struct{ Edges []struct{ Node auditRow } }
	}
	api.Data(t, `{ auditEvents(first: 100, orderBy: {field: OCCURRED_AT, direction: DESC}) { edges { node { action actor actorRole via target message } } } }`, nil, &out)
	m := map[string]auditRow{}
	for _, e := range out.AuditEvents.Edges {
		if _, ok := m[e.Node.Action]; !ok {
			m[e.Node.Action] = e.Node
		}
	}
	return m
}

// Four-eyes publishing: a draft is published only after someone else approved its exact
// content; self-approval and any edit after the approval are refused.
func TestFourEyesPublishing(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(apitest.PoliciesDir())); err != nil {
			t.Fatal(err)
		}
		api := apitest.Start(t, db, func(c *app.Config) {
			c.PoliciesDir, c.PolicyPoll, c.RequirePublishApproval = dir, 500*time.Millisecond, true
		})
		fctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		go func() { _ = api.App.FollowPolicies(fctx) }()

		annID, bobID := api.User(t, "Ann", "REVOPS", "revops"), api.User(t, "Bob", "ADMIN", "revops")
		ann, bob := api.As(t, "revops", "", annID), api.As(t, "admin", "", bobID)
		draft := lowerMQL(t, dir)
		const publish = `mutation($d: PolicyDraftInput!) { publishPolicy(input: {draft: $d, message: "lower MQL"}) { revision { hash status } } }`
		const approve = `mutation($d: PolicyDraftInput!, $m: String!) { approvePolicyDraft(input: {draft: $d, message: $m}) { hash approval { actor action } } }`

		e := ann.Fail(t, "APPROVAL_REQUIRED", publish, map[string]any{"d": draft})
		var own struct {
			ApprovePolicyDraft struct{ Hash string }
		}
		ann.Data(t, approve, map[string]any{"d": draft, "m": "mine"}, &own)
		if e.Extensions["hash"] != own.ApprovePolicyDraft.Hash {
			t.Errorf("refusal names %v, the approval %s", e.Extensions["hash"], own.ApprovePolicyDraft.Hash)
		}
		if e := ann.Fail(t, "APPROVAL_REQUIRED", publish, map[string]any{"d": draft}); !strings.Contains(e.Extensions["reason"].(string), "only you") {
			t.Errorf("self-approved publish: %+v", e)
		}
		bob.Data(t, approve, map[string]any{"d": draft, "m": "looks right"}, &own)

		// An edit after the approval voids it.
		edited := lowerMQL(t, dir)
		files := edited["changed"].([]map[string]any)
		files[0]["content"] = strings.Replace(files[0]["content"].(string), `"threshold": 10`, `"threshold": 11`, 1)
		ann.Fail(t, "APPROVAL_REQUIRED", publish, map[string]any{"d": edited})

		var pub struct{ PublishPolicy published }
		ann.Data(t, publish, map[string]any{"d": draft}, &pub)
		if pub.PublishPolicy.Revision.Status != "ACTIVE" || api.App.Engine.Active().Hash() != pub.PublishPolicy.Revision.Hash {
			t.Fatalf("approved publish: %+v", pub.PublishPolicy.Revision)
		}
		events := auditEvents(t, bob)
		if p := events["POLICY_PUBLISH"]; p.Actor != "user:"+annID || p.Target != pub.PublishPolicy.Revision.Hash || p.Message != "lower MQL" {
			t.Errorf("publish audit %+v", p)
		}
		if a := events["POLICY_APPROVE"]; a.Actor != "user:"+bobID || a.Target != own.ApprovePolicyDraft.Hash || a.Via != "API" {
			t.Errorf("approve audit %+v", a)
		}
	})
}

// Creating and revoking an API key are audited with their author; the secret is not.
func TestAPIKeysAudited(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		adminID := api.User(t, "Ada", "ADMIN", "revops")
		admin := api.As(t, "admin", "", adminID)
		var c struct {
			CreateApiKey struct {
				APIKey struct{ ID string }
				Secret string
			}
		}
		admin.Data(t, `mutation { createApiKey(input: {name: "crm sync", role: BDR}) { apiKey { id } secret } }`, nil, &c)
		admin.Data(t, `mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id } } }`, map[string]any{"id": c.CreateApiKey.APIKey.ID}, &struct{}{})
		var out struct {
			AuditEvents struct {
				Edges []struct {
					Node struct {
						Action, Actor, Target string
						Details               map[string]any
					}
				}
			}
		}
		admin.Data(t, `{ auditEvents(where: {actionIn: [API_KEY_CREATE, API_KEY_REVOKE]}) { edges { node { action actor target details } } } }`, nil, &out)
		got := map[string]string{}
		for _, e := range out.AuditEvents.Edges {
			raw, _ := json.Marshal(e.Node.Details)
			if e.Node.Actor != "user:"+adminID || strings.Contains(string(raw), c.CreateApiKey.Secret) {
				t.Errorf("audit event %+v", e.Node)
			}
			got[e.Node.Action] = e.Node.Target
		}
		if len(got) != 2 || got["API_KEY_CREATE"] == "" || got["API_KEY_CREATE"] != got["API_KEY_REVOKE"] {
			t.Errorf("API key audit: %v", got)
		}
	})
}
