package policyadmin_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/requalifyjob"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/policyadmin"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// orphan stores a job as a runner that then died would have left it.
func orphan(t *testing.T, db *store.DB, status requalifyjob.Status) *ent.RequalifyJob {
	t.Helper()
	c := db.Client.RequalifyJob.Create().SetStatus(status).SetTotal(30)
	if status == requalifyjob.StatusRUNNING {
		c.SetStartedAt(time.Now()).SetProcessed(10)
	}
	j, err := c.Save(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// nodeJob reads a job through node(id), which reports the stored row as it is.
func nodeJob(t *testing.T, api *apitest.Instance, id int) job {
	t.Helper()
	var n struct{ Node job }
	api.Data(t, `query($id: ID!) { node(id: $id) { ... on RequalifyJob { `+jobFields+` } } }`, map[string]any{"id": id}, &n)
	return n.Node
}

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
	deadline := time.Now().Add(2 * time.Minute)
	for {
		j := readJob(t, api, id)
		if j.Status == "SUCCEEDED" || j.Status == "FAILED" {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s after 2 minutes: %+v", j.Status, j)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func isOrphaned(j job) bool {
	return j.Status == "FAILED" && j.FinishedAt != nil && slices.Contains(j.Errors, policyadmin.ErrOrphaned)
}

// A job left QUEUED or RUNNING by a runner that is gone fails when a client reads it or when a
// new job is requested; a live job is left alone by both.
func TestOrphanedJobsFail(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api, _ := seeded(t, db, 150)
		running, queued := orphan(t, db, requalifyjob.StatusRUNNING), orphan(t, db, requalifyjob.StatusQUEUED)
		if j := nodeJob(t, api, running.ID); j.Status != "RUNNING" {
			t.Fatalf("stored orphan reads %s", j.Status)
		}
		if j := readJob(t, api, running.ID); !isOrphaned(j) || j.Processed != 10 {
			t.Errorf("requalifyJob of a job whose runner is gone: %+v", j)
		}

		live := startJob(t, api)
		if j := nodeJob(t, api, queued.ID); !isOrphaned(j) {
			t.Errorf("a new job left the orphaned queued job as %+v", j)
		}
		// Reads and a second request while the first job runs must not take it for an orphan.
		if j := readJob(t, api, live.ID); j.Status == "FAILED" {
			t.Fatalf("reading a running job failed it: %+v", j)
		}
		second := startJob(t, api)
		for _, id := range []string{live.ID, second.ID} {
			if j := waitJob(t, api, id); j.Status != "SUCCEEDED" || j.Processed != j.Total {
				t.Errorf("live job %s ended as %+v", id, j)
			}
		}
	})
}

// A replica that starts fails the jobs left running by a crash, before anyone asks.
func TestOrphanedJobsFailAtStart(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		stale := orphan(t, db, requalifyjob.StatusRUNNING)
		api, _ := seeded(t, db, 5)
		if j := nodeJob(t, api, stale.ID); !isOrphaned(j) {
			t.Fatalf("after start the orphaned job is %+v", j)
		}
	})
}

// Across replicas on one PostgreSQL database: a job another replica runs is never taken for an
// orphan, and it becomes one as soon as that replica's session is gone (a crash).
func TestJobLeaseAcrossReplicas(t *testing.T) {
	url := testenv.PostgresURL(t)
	open := func() *store.DB {
		db, err := store.Open(context.Background(), store.Config{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	dbA, dbB := open(), open()
	ctx := context.Background()
	if _, err := seed.Run(ctx, dbA.Client, seed.Options{Leads: 150, Seed: 7, Now: time.Now().UTC().Truncate(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	a, b := apitest.Start(t, dbA), apitest.Start(t, dbB)
	t.Cleanup(a.App.Admin.Close)
	t.Cleanup(b.App.Admin.Close)

	onA := startJob(t, a)
	if j := readJob(t, b, onA.ID); j.Status == "FAILED" {
		t.Fatalf("replica B failed replica A's running job: %+v", j)
	}
	onB := startJob(t, b)
	for _, j := range []struct {
		api *apitest.Instance
		id  string
	}{{a, onA.ID}, {b, onB.ID}} {
		if got := waitJob(t, j.api, j.id); got.Status != "SUCCEEDED" || got.Processed != got.Total {
			t.Errorf("job %s: %+v", j.id, got)
		}
	}

	// A runner on a third replica: its session holds the lease, then dies.
	stuck := orphan(t, dbA, requalifyjob.StatusRUNNING)
	conn, err := dbA.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	k1, k2 := policyadmin.LeaseKeys(stuck.ID)
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1, $2)", k1, k2); err != nil {
		t.Fatal(err)
	}
	startJob(t, b)
	if j := readJob(t, b, stuck.ID); j.Status != "RUNNING" {
		t.Fatalf("a job whose runner holds its lease reads %+v", j)
	}
	var pid int
	if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := dbB.SQL.ExecContext(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for j := readJob(t, b, stuck.ID); !isOrphaned(j); j = readJob(t, b, stuck.ID) {
		if time.Now().After(deadline) {
			t.Fatalf("10 s after its runner's session ended the job is %+v", j)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
