package policyadmin_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// seeded starts the API on db with a seeded data set and a private, followed copy of the bundle.
// The seed's clock is two hours before the real clock the decisions read, so the data set's
// engagement has decayed by the same time at every run. The data set itself follows the time of
// day and the weekday (the seed's office hours, weekends, days cut at midnight): a test that
// needs a given data set uses seededAt (seeded at 09:50 UTC on 2026-12-06, no lead fell between
// the MQL thresholds of TestRequalifyOnlyChanged).
func seeded(t *testing.T, db *store.DB, leads int, opts ...apitest.Option) (*apitest.Instance, string) {
	t.Helper()
	return seedAndStart(t, db, leads, time.Now().UTC().Add(-decisionsAfterSeed), opts...)
}

// decisionsAfterSeed is how long before the decisions' clock the data set is seeded.
const decisionsAfterSeed = 2 * time.Hour

// seededAt is seeded with the data set of a fixed time at: the decisions' clock (the lifecycle's
// and the sweeps') starts two hours after it and runs from there, so every run decides the same
// leads at the same ages. Activities created through the API still take the real time.
func seededAt(t *testing.T, db *store.DB, leads int, at time.Time, opts ...apitest.Option) (*apitest.Instance, string) {
	t.Helper()
	start := time.Now()
	clock := func() time.Time { return at.Add(decisionsAfterSeed + time.Since(start)) }
	return seedAndStart(t, db, leads, at, append([]apitest.Option{func(c *app.Config) { c.Clock = clock }}, opts...)...)
}

func seedAndStart(t *testing.T, db *store.DB, leads int, at time.Time, opts ...apitest.Option) (*apitest.Instance, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(apitest.PoliciesDir())); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: leads, Seed: 7, Now: at}); err != nil {
		t.Fatal(err)
	}
	// A functional test, not a speed check: under -race the simulation's early TIMEOUT projection
	// would refuse 600 leads within the default request timeout.
	api := apitest.Start(t, db, append([]apitest.Option{func(c *app.Config) {
		c.PoliciesDir, c.PolicyPoll, c.Server.RequestTimeout = dir, 500*time.Millisecond, 2*time.Minute
	}}, opts...)...)
	fctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go func() { _ = api.App.FollowPolicies(fctx) }()
	return api, dir
}

// lowerMQL is a patch over the active revision: the MQL engagement threshold drops from 15 to
// 10. The knob alone: the shipped tests read the threshold from the data.
func lowerMQL(t testing.TB, dir string) map[string]any {
	t.Helper()
	return map[string]any{"changed": []map[string]any{
		{"path": "data.json", "content": edit(t, dir, "data.json", `"threshold": 15`, `"threshold": 10`)},
	}}
}

func edit(t testing.TB, dir, path, old, new string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), old) {
		t.Fatalf("%s has no %q", path, old)
	}
	return strings.Replace(string(raw), old, new, 1)
}

// broken is a patch with a syntax error in lead.rego.
func broken(t *testing.T, dir string) map[string]any {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(dir, "qualify", "lead", "lead.rego"))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"changed": []map[string]any{{"path": "qualify/lead/lead.rego", "content": string(src) + "\nbroken rule if {\n"}}}
}

const simulateQuery = `query($d: PolicyDraftInput!) { simulatePolicy(draft: $d, sample: 5) {
  leads stageChanged errors firstError draftRevision
  stageMatrix { from to count } funnel { stage reachedNow reachedDraft } mqlToSqlNow mqlToSqlDraft
  scoreHistogram { min max before after } sample { leadId oldStage newStage newReasons { code } } } }`

type simulation struct {
	SimulatePolicy struct {
		Leads, StageChanged, Errors int
		FirstError                  string
		StageMatrix                 []struct {
			From, To string
			Count    int
		}
		Funnel []struct {
			Stage                    string
			ReachedNow, ReachedDraft int
		}
		Sample []struct {
			LeadID             string
			OldStage, NewStage string
		}
	}
}

// probe creates a lead with an event visit and a content download (engagement 14, no MQL
// trigger) and returns its qualification.
func probe(t *testing.T, api *apitest.Instance) qualification {
	t.Helper()
	var c struct{ CreateLead struct{ ID string } }
	api.Data(t, `mutation { createLead(input: {lastName: "Probe", source: REFERRAL}) { id } }`, nil, &c)
	for _, kind := range []string{"EVENT_VISIT", "CONTENT_DOWNLOAD"} {
		var a struct{ CreateActivity struct{ ID string } }
		api.Data(t, `mutation($l: ID!, $k: ActivityKind!) { createActivity(input: {kind: $k, leadID: $l}) { id } }`,
			map[string]any{"l": c.CreateLead.ID, "k": kind}, &a)
	}
	var n struct {
		Node struct{ Qualification qualification }
	}
	api.Data(t, `query($id: ID!) { node(id: $id) { ... on Lead { qualification { recommendedStage policyRevision } } } }`,
		map[string]any{"id": c.CreateLead.ID}, &n)
	return n.Node.Qualification
}

type qualification struct{ RecommendedStage, PolicyRevision string }

type published struct {
	Revision struct{ Revision, Hash, Status, Message string }
}

const revisionFields = `revision { revision hash status message }`

func TestSimulatePublishRollback(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		// 600 leads: at 300 the leads the lowered threshold turns into MQLs come and go with the
		// minutes since the seed's hour (engagement decays with the real clock), down to none.
		api, dir := seeded(t, db, 600)
		draft := lowerMQL(t, dir)

		var sim simulation
		api.Data(t, simulateQuery, map[string]any{"d": draft}, &sim)
		s := sim.SimulatePolicy
		if s.Errors != 0 {
			t.Fatalf("simulation errors: %d (%s)", s.Errors, s.FirstError)
		}
		becomeMQL := 0
		for _, c := range s.StageMatrix {
			if c.From != "mql" && c.To == "mql" {
				becomeMQL += c.Count
			}
		}
		// The direct count: every lead decided one by one on both revisions.
		wantLeads, wantMQL := directCount(t, api, draft)
		if s.Leads != wantLeads || becomeMQL != wantMQL {
			t.Errorf("simulation: %d leads, %d become MQL; direct count: %d leads, %d become MQL", s.Leads, becomeMQL, wantLeads, wantMQL)
		}
		if wantMQL == 0 {
			t.Errorf("the lowered threshold turns no lead into an MQL: a useless test data set")
		}
		if len(s.Sample) == 0 || len(s.Sample) > 5 || s.StageChanged < wantMQL {
			t.Errorf("sample %d, stage changed %d", len(s.Sample), s.StageChanged)
		}

		before := probe(t, api)
		if before.RecommendedStage == "mql" {
			t.Fatalf("engagement 14 makes an MQL under the shipped policy")
		}

		var pub struct{ PublishPolicy published }
		api.Data(t, `mutation($d: PolicyDraftInput!) { publishPolicy(input: {draft: $d, message: "lower MQL threshold"}) { `+revisionFields+` } }`,
			map[string]any{"d": draft}, &pub)
		rev := pub.PublishPolicy.Revision
		if rev.Status != "ACTIVE" || rev.Message != "lower MQL threshold" {
			t.Fatalf("published revision: %+v", rev)
		}
		if got := api.App.Engine.Active().Hash(); got != rev.Hash {
			t.Fatalf("active hash %s, published %s", got, rev.Hash)
		}
		if q := probe(t, api); q.RecommendedStage != "mql" || q.PolicyRevision != rev.Revision {
			t.Errorf("decision after publish: %+v, want mql by %s", q, rev.Revision)
		}

		var diff struct {
			PolicyRevisionDiff []struct{ Path, Change, Diff string }
		}
		api.Data(t, `query($a: String!, $b: String!) { policyRevisionDiff(from: $a, to: $b) { path change diff } }`,
			map[string]any{"a": before.PolicyRevision, "b": rev.Hash}, &diff)
		if !diffHas(diff.PolicyRevisionDiff, "data.json", `+        "threshold": 10,`) || !diffHas(diff.PolicyRevisionDiff, ".manifest", "revision") {
			t.Errorf("diff: %+v", diff.PolicyRevisionDiff)
		}

		var rb struct{ RollbackPolicy published }
		api.Data(t, `mutation($r: String!) { rollbackPolicy(input: {revision: $r}) { `+revisionFields+` } }`,
			map[string]any{"r": before.PolicyRevision}, &rb)
		if r := rb.RollbackPolicy.Revision; r.Status != "ACTIVE" || r.Hash == rev.Hash || !strings.HasPrefix(r.Message, "rollback to") {
			t.Fatalf("rollback revision: %+v", r)
		}
		if got, want := probe(t, api).RecommendedStage, before.RecommendedStage; got != want {
			t.Errorf("after rollback a new lead is recommended %q, before the publish %q", got, want)
		}
		events := auditEvents(t, api)
		if e := events["POLICY_SIMULATE"]; e.Actor == "" || e.Target == "" {
			t.Errorf("simulation audit: %+v", e)
		}
		if e := events["POLICY_PUBLISH"]; e.Target != rev.Hash || e.Message != "lower MQL threshold" {
			t.Errorf("publish audit: %+v", e)
		}
	})
}

func diffHas(diffs []struct{ Path, Change, Diff string }, path, text string) bool {
	for _, d := range diffs {
		if d.Path == path && d.Change == "modified" && strings.Contains(d.Diff, text) {
			return true
		}
	}
	return false
}

// directCount decides every stored lead sequentially on the active revision and on the draft,
// and counts the leads and those the draft turns into an MQL.
func directCount(t *testing.T, api *apitest.Instance, draft map[string]any) (leads, mql int) {
	t.Helper()
	ctx := context.Background()
	edits := map[string][]byte{}
	for _, f := range draft["changed"].([]map[string]any) {
		edits[f["path"].(string)] = []byte(f["content"].(string))
	}
	active := api.App.Engine.Active()
	files, err := active.Files().With(edits)
	if err != nil {
		t.Fatal(err)
	}
	rev, rep := api.App.Engine.Verify(ctx, files)
	if rev == nil {
		t.Fatalf("draft refused: %+v", rep.Problems)
	}
	err = api.App.Lifecycle.ScanLeads(ctx, nil, 100, func(b []lifecycle.Candidate) error {
		for _, c := range b {
			old, _, err := active.DecideLead(ctx, c.Input)
			if err != nil {
				return err
			}
			nd, _, err := rev.DecideLead(ctx, c.Input)
			if err != nil {
				return err
			}
			leads++
			if old.Stage != "mql" && nd.Stage == "mql" {
				mql++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return leads, mql
}

// A draft with a syntax error is refused by validate, test, simulate and publish alike, with its
// location; nothing changes.
func TestBrokenDraftRefused(t *testing.T) {
	db := testenv.SQLite(t)
	api, dir := seeded(t, db, 20)
	draft := broken(t, dir)
	active := api.App.Engine.Active().Hash()

	var v struct {
		ValidatePolicy struct {
			OK, Probe bool
			Problems  []struct {
				File     string
				Row, Col int
				Message  string
			}
		}
	}
	api.Data(t, `query($d: PolicyDraftInput!) { validatePolicy(draft: $d) { ok probe problems { file row col message } } }`, map[string]any{"d": draft}, &v)
	if v.ValidatePolicy.OK || v.ValidatePolicy.Probe || !located(v.ValidatePolicy.Problems) {
		t.Errorf("validatePolicy: %+v", v.ValidatePolicy)
	}
	var tr struct {
		TestPolicy struct {
			OK       bool
			Problems []struct {
				File     string
				Row, Col int
				Message  string
			}
		}
	}
	api.Data(t, `query($d: PolicyDraftInput!) { testPolicy(draft: $d) { ok problems { file row col message } tests { name } } }`, map[string]any{"d": draft}, &tr)
	if tr.TestPolicy.OK || !located(tr.TestPolicy.Problems) {
		t.Errorf("testPolicy: %+v", tr.TestPolicy)
	}
	for name, q := range map[string]string{
		"simulate": `query($d: PolicyDraftInput!) { simulatePolicy(draft: $d) { leads } }`,
		"publish":  `mutation($d: PolicyDraftInput!) { publishPolicy(input: {draft: $d, message: "x"}) { revision { hash } } }`,
	} {
		e := api.Fail(t, "VALIDATION_FAILED", q, map[string]any{"d": draft})
		raw, _ := json.Marshal(e.Extensions["problems"])
		var probs []struct {
			File     string
			Row, Col int
			Message  string
		}
		_ = json.Unmarshal(raw, &probs)
		if !located(probs) {
			t.Errorf("%s: problems %s", name, raw)
		}
	}
	if api.App.Engine.Active().Hash() != active {
		t.Error("a broken draft changed the active revision")
	}

	// The good draft passes validate and test.
	api.Data(t, `query($d: PolicyDraftInput!) { validatePolicy(draft: $d) { ok probe problems { file row col message } } }`, map[string]any{"d": lowerMQL(t, dir)}, &v)
	if !v.ValidatePolicy.OK || !v.ValidatePolicy.Probe {
		t.Errorf("good draft: %+v", v.ValidatePolicy)
	}
}

func located[P ~[]E, E interface{}](ps P) bool {
	raw, _ := json.Marshal(ps)
	var probs []struct {
		File string
		Row  int
	}
	_ = json.Unmarshal(raw, &probs)
	for _, p := range probs {
		if strings.HasSuffix(p.File, "lead.rego") && p.Row > 0 {
			return true
		}
	}
	return false
}

// Two publishes at once serialize: each becomes active in turn, and the directory ends as
// exactly one of them.
func TestConcurrentPublish(t *testing.T) {
	db := testenv.SQLite(t)
	api, dir := seeded(t, db, 5)
	drafts := []map[string]any{lowerMQL(t, dir), {"changed": []map[string]any{{"path": "qualify/lead/lead.rego",
		"content": edit(t, dir, "qualify/lead/lead.rego", "package qualify.lead", "package qualify.lead\n\n# published concurrently")}}}}
	hashes := make([]string, len(drafts))
	errs := make(chan error, len(drafts))
	for i, d := range drafts {
		go func() {
			r := api.Do(t, `mutation($d: PolicyDraftInput!) { publishPolicy(input: {draft: $d, message: "concurrent"}) { revision { hash status } } }`, map[string]any{"d": d})
			var out struct{ PublishPolicy published }
			if len(r.Errors) > 0 {
				errs <- errors.New(r.Errors[0].Message)
				return
			}
			err := json.Unmarshal(r.Data, &out)
			hashes[i] = out.PublishPolicy.Revision.Hash
			errs <- err
		}()
	}
	for range drafts {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	files, err := policy.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if hashes[0] == hashes[1] || (files.Hash() != hashes[0] && files.Hash() != hashes[1]) {
		t.Errorf("published %v, the directory holds %s", hashes, files.Hash())
	}
	if got := api.App.Engine.Active().Hash(); got != files.Hash() {
		t.Errorf("active %s, directory %s", got, files.Hash())
	}
}
