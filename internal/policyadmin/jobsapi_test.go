package policyadmin_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/qualify/qualify/internal/policyadmin"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

type jobRow struct {
	ID, Kind, State          string
	Attempt, MaxAttempts     int
	CreatedAt                time.Time
	AttemptedAt, FinalizedAt *time.Time
	Args, Progress           map[string]any
	Errors                   []struct {
		Attempt int
		Error   string
	}
}

const jobRowFields = `id kind state attempt maxAttempts createdAt attemptedAt finalizedAt args progress errors { attempt error }`

// The job engine's jobs over GraphQL: revops lists them newest first with their progress, pages
// through them, cancels a scheduled job and retries a discarded one (both audited); a refused
// transition is VALIDATION_FAILED, an unknown job NOT_FOUND, and a BDR may do none of it.
func TestJobsAPI(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		api, _ := seeded(t, db, 60)
		revops := api.As(t, "revops", "", "")
		req := waitJob(t, api, startJob(t, api).ID)

		var list struct {
			Jobs struct {
				Edges []struct {
					Node   jobRow
					Cursor string
				}
				PageInfo struct{ HasNextPage bool }
			}
		}
		// The engine completes its job just after the requalify's own row says SUCCEEDED.
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
			revops.Data(t, `{ jobs(kinds: ["requalify"], states: [COMPLETED]) { edges { cursor node { `+jobRowFields+` } } pageInfo { hasNextPage } } }`, nil, &list)
			if len(list.Jobs.Edges) > 0 || time.Now().After(deadline) {
				break
			}
		}
		if len(list.Jobs.Edges) != 1 {
			t.Fatalf("jobs: %+v", list.Jobs)
		}
		j := list.Jobs.Edges[0].Node
		if j.Kind != "requalify" || j.State != "COMPLETED" || j.Attempt != 1 || j.FinalizedAt == nil || j.AttemptedAt == nil ||
			j.Progress["processed"] != float64(req.Total) || fmt.Sprint(int(j.Args["requalifyJobId"].(float64))) != req.ID {
			t.Fatalf("the requalify job: %+v (requalify %+v)", j, req)
		}

		// Two jobs waiting an hour: the engine's jobs of requalifies that do not exist.
		insert := func(opts *river.InsertOpts) string {
			res, err := api.App.Jobs.Insert(ctx, policyadmin.RequalifyArgs{RequalifyJobID: 1 << 40}, opts)
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(res.Job.ID)
		}
		scheduled := insert(&river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
		discarded := insert(&river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour), MaxAttempts: 1})
		q := "UPDATE river_job SET state = 'discarded', finalized_at = $1 WHERE id = $2"
		if db.Dialect != "postgres" {
			q = "UPDATE river_job SET state = 'discarded', finalized_at = ? WHERE id = ?"
		}
		if _, err := db.SQL.ExecContext(ctx, q, time.Now().UTC(), discarded); err != nil {
			t.Fatal(err)
		}

		// Newest first, a page at a time.
		var page struct {
			Jobs struct {
				Edges []struct {
					Node   jobRow
					Cursor string
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		revops.Data(t, `{ jobs(first: 1) { edges { node { id state } } pageInfo { hasNextPage endCursor } } }`, nil, &page)
		if len(page.Jobs.Edges) != 1 || page.Jobs.Edges[0].Node.ID != discarded || page.Jobs.Edges[0].Node.State != "DISCARDED" || !page.Jobs.PageInfo.HasNextPage {
			t.Fatalf("first page: %+v", page.Jobs)
		}
		revops.Data(t, `query($a: Cursor) { jobs(first: 1, after: $a) { edges { node { id state } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"a": page.Jobs.PageInfo.EndCursor}, &page)
		if len(page.Jobs.Edges) != 1 || page.Jobs.Edges[0].Node.ID != scheduled || page.Jobs.Edges[0].Node.State != "SCHEDULED" {
			t.Fatalf("second page: %+v", page.Jobs)
		}

		var c struct{ CancelJob jobRow }
		revops.Data(t, `mutation($id: ID!) { cancelJob(id: $id) { `+jobRowFields+` } }`, map[string]any{"id": scheduled}, &c)
		if c.CancelJob.State != "CANCELLED" || c.CancelJob.FinalizedAt == nil {
			t.Fatalf("cancelled: %+v", c.CancelJob)
		}
		e := revops.Fail(t, "VALIDATION_FAILED", `mutation($id: ID!) { cancelJob(id: $id) { id } }`, map[string]any{"id": scheduled})
		if e.Extensions["field"] != "id" {
			t.Errorf("cancelling a cancelled job: %+v", e)
		}
		var r struct{ RetryJob jobRow }
		revops.Data(t, `mutation($id: ID!) { retryJob(id: $id) { `+jobRowFields+` } }`, map[string]any{"id": discarded}, &r)
		if r.RetryJob.State != "AVAILABLE" || r.RetryJob.FinalizedAt != nil {
			t.Fatalf("retried: %+v", r.RetryJob)
		}
		revops.Fail(t, "NOT_FOUND", `mutation { retryJob(id: "99999999") { id } }`, nil)
		revops.Fail(t, "NOT_FOUND", `mutation { cancelJob(id: "99999999") { id } }`, nil)

		var audit struct {
			AuditEvents struct {
				Edges []struct {
					Node struct{ Action, Target, ActorRole string }
				}
			}
		}
		api.Data(t, `{ auditEvents(where: {actionIn: [JOB_RETRY, JOB_CANCEL]}) { edges { node { action target actorRole } } } }`, nil, &audit)
		got := map[string]string{}
		for _, e := range audit.AuditEvents.Edges {
			got[e.Node.Action] = e.Node.Target + "/" + e.Node.ActorRole
		}
		if got["JOB_CANCEL"] != scheduled+"/revops" || got["JOB_RETRY"] != discarded+"/revops" || len(got) != 2 {
			t.Errorf("audit events: %v", got)
		}

		bdr := api.As(t, "bdr", "emea-bdr", "")
		bdr.Fail(t, "FORBIDDEN", `{ jobs { edges { node { id } } } }`, nil)
		bdr.Fail(t, "FORBIDDEN", `mutation($id: ID!) { retryJob(id: $id) { id } }`, map[string]any{"id": discarded})
		bdr.Fail(t, "FORBIDDEN", `mutation($id: ID!) { cancelJob(id: $id) { id } }`, map[string]any{"id": discarded})
	})
}
