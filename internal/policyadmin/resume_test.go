package policyadmin_test

import (
	"context"
	"testing"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/decisionlog"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/jobs"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

func readJob(t *testing.T, api *apitest.Instance, id any) job {
	t.Helper()
	var q struct{ RequalifyJob job }
	api.Data(t, `query($id: ID!) { requalifyJob(id: $id) { `+jobFields+` } }`, map[string]any{"id": id}, &q)
	return q.RequalifyJob
}

func startJob(t *testing.T, api *apitest.Instance) job {
	t.Helper()
	var started struct{ RequalifyLeads struct{ Job job } }
	api.Data(t, `mutation { requalifyLeads(input: {}) { job { `+jobFields+` } } }`, nil, &started)
	return started.RequalifyLeads.Job
}

func waitJob(t *testing.T, api *apitest.Instance, id string) job {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		j := readJob(t, api, id)
		if j.Status == "SUCCEEDED" || j.Status == "FAILED" {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s after 3 minutes: %+v", j.Status, j)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// resumeBatch is the requalify batch of these tests: small, so that a job has many safe points.
const resumeBatch = 10

// replica starts an app instance on a connection pool of its own to the database at url (or
// the SQLite file), with small requalify and simulation batches: one more replica.
func replica(t *testing.T, url, file string, rescueAfter time.Duration) *apitest.Instance {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{URL: url, SQLitePath: file})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return apitest.Start(t, db, func(c *app.Config) {
		c.RequalifyBatch, c.SimulationBatch = resumeBatch, resumeBatch
		c.Jobs = jobs.Config{PollInterval: 50 * time.Millisecond, RescueAfter: rescueAfter}
		c.Server.RequestTimeout = 2 * time.Minute
	})
}

// eachReplicaDB runs fn on SQLite and PostgreSQL with a migrated database and what opens it
// again (the PostgreSQL URL, or the SQLite file), for tests of two instances on one database.
func eachReplicaDB(t *testing.T, fn func(t *testing.T, db *store.DB, url, file string)) {
	t.Run("sqlite", func(t *testing.T) {
		db := testenv.SQLite(t)
		var (
			seq        int
			name, path string
		)
		if err := db.SQL.QueryRow("PRAGMA database_list").Scan(&seq, &name, &path); err != nil {
			t.Fatal(err)
		}
		fn(t, db, "", path)
	})
	t.Run("postgres", func(t *testing.T) {
		url := testenv.PostgresURL(t)
		db, err := store.Open(context.Background(), store.Config{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		fn(t, db, url, "")
	})
}

// requalifyDecisions counts the REQUALIFY lead decisions after decision id `after`, per lead.
func requalifyDecisions(t *testing.T, db *store.DB, after int) map[int]int {
	t.Helper()
	ds, err := db.Client.DecisionLog.Query().
		Where(decisionlog.IDGT(after), decisionlog.KindEQ(decisionlog.KindLEAD), decisionlog.Trigger("requalify")).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	per := map[int]int{}
	for _, d := range ds {
		if d.LeadID != nil {
			per[*d.LeadID]++
		}
	}
	return per
}

func lastDecision(t *testing.T, db *store.DB) int {
	t.Helper()
	id, err := db.Client.DecisionLog.Query().Aggregate(ent.Max(decisionlog.FieldID)).Int(context.Background())
	if err != nil {
		return 0 // none yet
	}
	return id
}

// waitProgress waits until the job has committed at least n leads and is not finished.
func waitProgress(t *testing.T, api *apitest.Instance, id string, n int) job {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		j := readJob(t, api, id)
		if j.Status == "SUCCEEDED" || j.Status == "FAILED" {
			t.Fatalf("the job ended before it could be interrupted: %+v", j)
		}
		if j.Processed >= n {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still at %d after 2 minutes", j.Processed)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// exactlyOnce checks that every lead has exactly one REQUALIFY decision in per.
func exactlyOnce(t *testing.T, db *store.DB, per map[int]int, total int) {
	t.Helper()
	ids, err := db.Client.Lead.Query().IDs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != total {
		t.Fatalf("%d leads, the job counted %d", len(ids), total)
	}
	for _, id := range ids {
		if per[id] != 1 {
			t.Errorf("lead %d re-qualified %d times, want once", id, per[id])
		}
	}
}

func seedLeads(t *testing.T, db *store.DB, n int) {
	t.Helper()
	if _, err := seed.Run(context.Background(), db.Client, seed.Options{Leads: n, Seed: 7, Now: time.Now().UTC().Truncate(time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

// A requalify whose app instance stops (SIGTERM: its job engine stops at a safe point) in the
// middle of the job resumes on a second instance on the same database and finishes with every
// lead re-qualified exactly once.
func TestRequalifyResumesOnAnotherInstance(t *testing.T) {
	eachReplicaDB(t, func(t *testing.T, db *store.DB, url, file string) {
		ctx := context.Background()
		seedLeads(t, db, 200)
		a := replica(t, url, file, 0)
		before := lastDecision(t, db)
		started := startJob(t, a)
		mid := waitProgress(t, a, started.ID, 3*resumeBatch)
		stop, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := a.App.Jobs.Stop(stop); err != nil {
			t.Fatal(err)
		}
		stopped := readJob(t, a, started.ID)
		if stopped.Status != "RUNNING" || stopped.Processed < mid.Processed || stopped.Processed >= stopped.Total {
			t.Fatalf("after the stop the job is %+v", stopped)
		}
		b := replica(t, url, file, 0)
		done := waitJob(t, b, started.ID)
		if done.Status != "SUCCEEDED" || done.Processed != done.Total || done.Failed != 0 {
			t.Fatalf("resumed job: %+v", done)
		}
		exactlyOnce(t, db, requalifyDecisions(t, db, before), done.Total)
	})
}

// A requalify whose process was killed (its engine job left running, the batch in flight
// rolled back by the database) is rescued by another instance and finishes with every lead
// re-qualified exactly once.
func TestRequalifyResumesAfterKill(t *testing.T) {
	eachReplicaDB(t, func(t *testing.T, db *store.DB, url, file string) {
		ctx := context.Background()
		seedLeads(t, db, 100)
		a := replica(t, url, file, 0)
		before := lastDecision(t, db)
		started := startJob(t, a)
		waitProgress(t, a, started.ID, 2*resumeBatch)
		stop, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := a.App.Jobs.Stop(stop); err != nil {
			t.Fatal(err)
		}
		// What a kill -9 leaves: the engine's job still running, attempted long ago by a
		// replica that is gone.
		q := "UPDATE river_job SET state = 'running', attempted_at = $1 WHERE kind = 'requalify'"
		if db.Dialect != "postgres" {
			q = "UPDATE river_job SET state = 'running', attempted_at = ? WHERE kind = 'requalify'"
		}
		if _, err := db.SQL.ExecContext(ctx, q, time.Now().Add(-time.Hour).UTC()); err != nil {
			t.Fatal(err)
		}
		b := replica(t, url, file, 30*time.Second) // the backdated job is an hour past it
		done := waitJob(t, b, started.ID)
		if done.Status != "SUCCEEDED" || done.Processed != done.Total || done.Failed != 0 {
			t.Fatalf("rescued job: %+v", done)
		}
		exactlyOnce(t, db, requalifyDecisions(t, db, before), done.Total)
	})
}
