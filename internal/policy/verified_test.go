package policy

import (
	"context"
	"testing"
	"time"
)

// TestVerifiedCacheSharedByEngines: a second engine with the same cache activates the bundle
// without verifying it again, yet asks its own Guard, records its own history and probes its
// own plans; an engine under other limits verifies for itself.
func TestVerifiedCacheSharedByEngines(t *testing.T) {
	cache := NewVerifiedCache()
	files := fixture(t)
	first := newTestEngine(t, Options{Verified: cache})
	rev1 := mustLoad(t, first, files)

	var guarded int
	rec := &memRecorder{}
	second := newTestEngine(t, Options{Verified: cache, Recorder: rec,
		Guard: GuardFunc(func(context.Context, *Revision) error { guarded++; return nil })})
	rev2 := mustLoad(t, second, files)
	if got := cache.hits.Load(); got != 1 {
		t.Fatalf("cache hits = %d, want 1: the second engine verified the bundle again", got)
	}
	if guarded != 1 || len(rec.statuses()) != 1 {
		t.Errorf("second engine: guard asked %d times, records %v", guarded, rec.statuses())
	}
	if rev2 == rev1 || rev2.run == rev1.run || rev2.Hash() != rev1.Hash() || rev2.Source() != "test" {
		t.Errorf("the second engine's revision shares serving state or lost its identity")
	}
	for q := range numQueries {
		if (rev1.plan(q) == nil) != (rev2.plan(q) == nil) {
			t.Errorf("query %s: plan serves on one engine and not the other", queryNames[q])
		}
	}
	ctx := context.Background()
	d1, _, err1 := first.DecideLead(ctx, realisticLead())
	d2, _, err2 := second.DecideLead(ctx, realisticLead())
	if err1 != nil || err2 != nil || d1.Stage != d2.Stage || d1.Score != d2.Score {
		t.Errorf("decisions differ: %+v %v / %+v %v", d1, err1, d2, err2)
	}

	other := newTestEngine(t, Options{Verified: cache, EvalTimeout: 9 * time.Second})
	mustLoad(t, other, files)
	if got := cache.hits.Load(); got != 1 {
		t.Errorf("cache hits = %d after a load under other limits, want still 1", got)
	}
}

// TestVerifiedCacheKeepsNoRefusal: a refused bundle is verified again by the next engine (and
// refused again), never served from the cache.
func TestVerifiedCacheKeepsNoRefusal(t *testing.T) {
	cache := NewVerifiedCache()
	bad := edit(t, fixture(t), map[string]string{"qualify/broken.rego": "package qualify.broken\nx if {"})
	for range 2 {
		e := newTestEngine(t, Options{Verified: cache})
		if _, err := e.Load(context.Background(), bad, "test"); err == nil {
			t.Fatal("a broken bundle was activated")
		}
	}
	if got := cache.hits.Load(); got != 0 {
		t.Errorf("cache hits = %d, want 0", got)
	}
}
