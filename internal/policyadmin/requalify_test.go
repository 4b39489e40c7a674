package policyadmin_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/policyadmin"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

type job struct {
	ID, Status                      string
	Total, Processed, Moved, Failed int
	Errors                          []string
	StartedAt, FinishedAt           *time.Time
}

const jobFields = `id status total processed moved failed errors startedAt finishedAt`

// requalifyLeads runs as a background job whose progress is stored and readable by id and
// through node(id); the moves it makes have trigger REQUALIFY.
func TestRequalifyJob(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api, _ := seeded(t, db, 120)
		// The seeded histories hold REQUALIFY transitions of their own: count only the job's.
		before, err := db.Client.StageTransition.Query().Aggregate(ent.Max(stagetransition.FieldID)).Int(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var started struct{ RequalifyLeads struct{ Job job } }
		api.Data(t, `mutation { requalifyLeads(input: {where: {hasAccount: true}}) { job { `+jobFields+` } } }`, nil, &started)
		j := started.RequalifyLeads.Job
		if j.Total == 0 || (j.Status != "QUEUED" && j.Status != "RUNNING" && j.Status != "SUCCEEDED") {
			t.Fatalf("started job: %+v", j)
		}
		deadline := time.Now().Add(2 * time.Minute)
		for j.Status != "SUCCEEDED" && j.Status != "FAILED" {
			if time.Now().After(deadline) {
				t.Fatalf("job still %s after 2 minutes: %+v", j.Status, j)
			}
			time.Sleep(100 * time.Millisecond)
			var q struct{ RequalifyJob job }
			api.Data(t, `query($id: ID!) { requalifyJob(id: $id) { `+jobFields+` } }`, map[string]any{"id": j.ID}, &q)
			j = q.RequalifyJob
		}
		if j.Status != "SUCCEEDED" || j.Processed != j.Total || j.Failed != 0 || j.StartedAt == nil || j.FinishedAt == nil {
			t.Fatalf("finished job: %+v", j)
		}
		var n struct{ Node job }
		api.Data(t, `query($id: ID!) { node(id: $id) { ... on RequalifyJob { `+jobFields+` } } }`, map[string]any{"id": j.ID}, &n)
		if n.Node.Processed != j.Processed {
			t.Errorf("node(id) = %+v", n.Node)
		}
		moved, err := db.Client.StageTransition.Query().
			Where(stagetransition.TriggerEQ(stagetransition.TriggerREQUALIFY), stagetransition.IDGT(before)).
			GroupBy(stagetransition.FieldLeadID).Ints(context.Background())
		if err != nil || len(moved) != j.Moved {
			t.Errorf("%d leads with REQUALIFY transitions (%v), the job reports %d moves", len(moved), err, j.Moved)
		}
	})
}

// Only revops and admins may run the admin operations.
func TestAdminForbidden(t *testing.T) {
	db := testenv.SQLite(t)
	api, dir := seeded(t, db, 5)
	bdr := api.As(t, "bdr", "emea-bdr", "")
	draft := map[string]any{"d": lowerMQL(t, dir)}
	for _, q := range []string{
		`query($d: PolicyDraftInput!) { validatePolicy(draft: $d) { ok } }`,
		`query($d: PolicyDraftInput!) { testPolicy(draft: $d) { ok } }`,
		`query($d: PolicyDraftInput!) { simulatePolicy(draft: $d) { leads } }`,
		`mutation($d: PolicyDraftInput!) { publishPolicy(input: {draft: $d, message: "x"}) { revision { hash } } }`,
		`mutation { rollbackPolicy(input: {revision: "x"}) { revision { hash } } }`,
		`mutation { requalifyLeads(input: {}) { job { id } } }`,
	} {
		vars := draft
		if !strings.Contains(q, "$d") {
			vars = nil
		}
		bdr.Fail(t, "FORBIDDEN", q, vars)
	}
	revops := api.As(t, "revops", "", "")
	var v struct{ ValidatePolicy struct{ OK bool } }
	revops.Data(t, `query($d: PolicyDraftInput!) { validatePolicy(draft: $d) { ok } }`, draft, &v)
	if !v.ValidatePolicy.OK {
		t.Error("revops: the good draft does not validate")
	}
}

// Publishing is refused when policies come from a bundle service.
func TestPublishRefusedInBundleMode(t *testing.T) {
	svc := policyadmin.New(policyadmin.Config{})
	_, err := svc.Publish(context.Background(), policyadmin.PolicyDraftInput{}, "x")
	var coded domainerr.Coded
	if !errors.As(err, &coded) || coded.Code() != policyadmin.CodeNotSupported {
		t.Fatalf("publish in bundle mode: %v", err)
	}
}
