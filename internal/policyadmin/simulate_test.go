package policyadmin_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/policyadmin"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// verified is shared by the engines of simulationSetup: the shipped bundle and the draft are
// verified once per test binary (seconds under the race detector), as apitest's apps share theirs.
var verified = policy.NewVerifiedCache()

// simulationSetup seeds n leads and returns the lifecycle and the shipped and lowered-MQL
// revisions, outside any server.
func simulationSetup(t *testing.T, db *store.DB, n int) (*lifecycle.Service, *policy.Revision, *policy.Revision) {
	t.Helper()
	ctx := context.Background()
	if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: n, Seed: 5, Now: time.Now().UTC().Truncate(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	engine := policy.New(policy.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), EvalTimeout: 10 * time.Second, Verified: verified})
	files, err := policy.ReadDir(apitest.PoliciesDir())
	if err != nil {
		t.Fatal(err)
	}
	active, err := engine.Load(ctx, files, "test")
	if err != nil {
		t.Fatal(err)
	}
	edits := map[string][]byte{}
	for _, f := range lowerMQL(t, apitest.PoliciesDir())["changed"].([]map[string]any) {
		edits[f["path"].(string)] = []byte(f["content"].(string))
	}
	draftFiles, err := files.With(edits)
	if err != nil {
		t.Fatal(err)
	}
	draft, rep := engine.Verify(ctx, draftFiles)
	if draft == nil {
		t.Fatalf("draft refused: %+v", rep.Problems)
	}
	return lifecycle.New(db.Client, engine), active, draft
}

// A cancelled context stops every stage of the pipeline: Compare returns the cancellation, and
// no batch is reported done after it.
func TestSimulationStopsWithItsContext(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		lc, active, draft := simulationSetup(t, db, 600)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		calls, last, total := 0, 0, 0
		_, err := policyadmin.Compare(ctx, lc, active, draft, policyadmin.SimulateOptions{Batch: 50, Progress: func(done, n int) {
			calls++
			last, total = done, n
			cancel()
		}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled simulation returned %v", err)
		}
		if calls != 1 || last >= total {
			t.Errorf("%d progress reports after the cancellation, %d of %d leads done", calls-1, last, total)
		}
	})
}

// simulateNoneQuery simulates a draft over no lead: the request's cost before the run.
const simulateNoneQuery = `query($d: PolicyDraftInput!) { simulatePolicy(draft: $d, where: {lastName: "no such lead"}) { leads } }`

// Over HTTP the simulation lives within the request: cut off by the server's request timeout,
// it answers TIMEOUT at about that deadline, well before the whole run would have finished.
func TestSimulationWithinRequestTimeout(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		lc, active, draft := simulationSetup(t, db, 4000)
		began := time.Now()
		if _, err := policyadmin.Compare(context.Background(), lc, active, draft, policyadmin.SimulateOptions{}); err != nil {
			t.Fatal(err)
		}
		run := time.Since(began)
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(apitest.PoliciesDir())); err != nil {
			t.Fatal(err)
		}
		input := lowerMQL(t, filepath.Clean(dir))
		// What the request spends before the run, as this test binary serves it (the draft's
		// verification may come from the shared cache of verified bundles): the same request
		// over no leads, asked twice so that the second is as warm as the one measured below.
		warm := apitest.Start(t, db, func(c *app.Config) { c.PoliciesDir, c.Server.RequestTimeout = dir, 2*time.Minute })
		var before time.Duration
		for range 2 {
			began = time.Now()
			r := warm.Do(t, simulateNoneQuery, map[string]any{"d": input})
			if len(r.Errors) > 0 {
				t.Fatalf("simulation over no leads: %+v", r.Errors)
			}
			before = time.Since(began)
		}
		// The deadline falls after the draft's verification, a quarter into the run.
		timeout := 2*before + run/4
		api := apitest.Start(t, db, func(c *app.Config) {
			c.PoliciesDir = dir
			c.Server.RequestTimeout = timeout
		})
		began = time.Now()
		r := api.Do(t, simulateQuery, map[string]any{"d": input})
		took := time.Since(began)
		if len(r.Errors) == 0 || r.Errors[0].Code() != "TIMEOUT" {
			t.Fatalf("simulation past the request timeout of %s: %+v", timeout, r.Errors)
		}
		// Stopped early by its pace (not cut at the deadline), it points to the background run.
		if e := r.Errors[0]; e.Extensions["projectedMs"] != nil && (!strings.Contains(e.Message, "startSimulation") || e.Extensions["instead"] != "startSimulation") {
			t.Errorf("the TIMEOUT does not point to startSimulation: %+v", e)
		}
		if whole := 2*before + run; took > timeout+(whole-timeout)/2 {
			t.Errorf("the answer took %s; the deadline was %s and the whole request takes about %s", took, timeout, whole)
		}
	})
}
