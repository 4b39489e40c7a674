package leadimport_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/qualify/qualify/ent/importrun"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/leadimport"
	"github.com/qualify/qualify/internal/principal"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// A queued import stopped after its first batch shows its progress, and resumes from its
// checkpoint in two workers at once (a rescued job on another replica beside `qualify import
// --wait`): one of them commits each batch, every row is imported once and the counts are
// exact; working the finished run again changes nothing.
func TestImportResumesAfterAStop(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		// No worker of the engine takes the job: the test plays the replicas.
		api := apitest.Start(t, db, func(c *app.Config) { c.Jobs.Workers = -1 })
		ctx := principal.With(context.Background(), principal.System)
		raw, want := batchFile(450)
		svc := api.App.Import
		run, err := svc.Import(ctx, raw, leadimport.Options{FileName: "resume.csv"})
		if err != nil || run.Status != importrun.StatusQUEUED || run.RiverJobID == nil {
			t.Fatalf("queued run %+v: %v", run, err)
		}
		stop, cancel := context.WithCancel(ctx)
		_, err = svc.Work(stop, run.ID, func(done, _ int) {
			if done >= 200 {
				cancel() // the replica stops: the next batch boundary ends the run
			}
		})
		cancel()
		if err == nil {
			t.Fatal("a stopped run reported success")
		}
		mid, _ := db.Client.ImportRun.Get(ctx, run.ID)
		if mid.Status != importrun.StatusRUNNING || mid.Processed != 200 || mid.Total != 450 ||
			mid.Created+mid.Matched+mid.Refused != 200 || mid.FinishedAt != nil {
			t.Fatalf("after the stop: %s, %d of %d processed, %+v", mid.Status, mid.Processed, mid.Total, got(mid))
		}
		if n, _ := db.Client.Lead.Query().Count(ctx); n != mid.Created {
			t.Fatalf("%d leads after the stop, %d created", n, mid.Created)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[i] = svc.Work(ctx, run.ID, nil) }()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil && !errors.Is(err, leadimport.ErrTakenOver) {
				t.Fatalf("resumed run: %v", err)
			}
		}
		if errs[0] != nil && errs[1] != nil {
			t.Fatalf("neither run finished: %v", errs)
		}
		done, err := svc.Work(ctx, run.ID, nil) // finished: nothing to do
		if err != nil || done.Status != importrun.StatusSUCCEEDED || got(done) != want || done.Processed != 450 || (done.File != nil && len(*done.File) > 0) {
			t.Fatalf("finished run %s %+v (%v), want %+v; processed %d, file %v", done.Status, got(done), err, want, done.Processed, done.File != nil && len(*done.File) > 0)
		}
		leads, err := db.Client.Lead.Query().Where(lead.IdempotencyKeyHasPrefix("key:b")).WithTransitions().All(ctx)
		if err != nil || len(leads) != want.created {
			t.Fatalf("%d leads (%v), want %d", len(leads), err, want.created)
		}
		for _, l := range leads {
			first := 0
			for _, tr := range l.Edges.Transitions {
				if tr.FromStageID == nil && tr.Trigger == stagetransition.TriggerIMPORT {
					first++
				}
			}
			if first != 1 || l.PolicyHash == nil {
				t.Fatalf("lead %d: %d first transitions, qualified %v", l.ID, first, l.PolicyHash != nil)
			}
		}
	})
}
