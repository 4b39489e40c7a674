package sweep_test

import (
	"context"
	"testing"
	"time"

	"github.com/qualify/qualify/ent/activity"
	"github.com/qualify/qualify/ent/leadescalation"
	"github.com/qualify/qualify/internal/jobs"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/sweep"
	"github.com/qualify/qualify/internal/testenv"
)

// Two app instances each schedule the sweep on their job engine: the elected leader runs it
// periodically, an extra run enqueued on each instance changes nothing, and the MQL past its
// SLA is escalated exactly once.
func TestSweepJobOnTwoInstances(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: monday}
		cfg := sweep.Config{Interval: 300 * time.Millisecond, BatchSize: 10}
		lc, a := replica(t, db, c, cfg)
		_, b := replica(t, db, c, cfg)
		l := newLead(t, db, lc, c, activity.KindFORM_FILL)
		c.Set(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC))
		var engines []*jobs.Engine
		for _, s := range []*sweep.Sweeper{a, b} {
			e, err := jobs.New(db, jobs.Config{PollInterval: 50 * time.Millisecond, Logger: discard})
			if err != nil {
				t.Fatal(err)
			}
			sweep.Schedule(e, s)
			if err := e.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				_ = e.Stop(sctx)
			})
			engines = append(engines, e)
		}
		count := func() int {
			n, err := db.Client.LeadEscalation.Query().Where(leadescalation.LeadID(l.ID)).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		deadline := time.Now().Add(90 * time.Second)
		for count() == 0 {
			if time.Now().After(deadline) {
				t.Fatal("no sweep escalated the MQL within 90 s (is a leader elected?)")
			}
			time.Sleep(100 * time.Millisecond)
		}
		var ids []int64
		for _, e := range engines {
			res, err := e.Insert(ctx, sweep.Args{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, res.Job.ID)
		}
		for i, id := range ids {
			for {
				j, err := engines[i].Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if j.FinalizedAt != nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("sweep job %d is %s", id, j.State)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		if n := count(); n != 1 {
			t.Fatalf("%d escalations, want exactly 1", n)
		}
	})
}
