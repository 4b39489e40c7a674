package sweep_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/activity"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/leadescalation"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/principal"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/sweep"
	"github.com/qualify/qualify/internal/testenv"
)

// clock is the controllable time of a test: every replica of the test reads it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// shipped is the policy engine on the shipped bundle, loaded once per test binary.
var shipped = sync.OnceValues(func() (*policy.Engine, error) {
	e := policy.New(policy.Options{Logger: discard, EvalTimeout: 10 * time.Second})
	files, err := policy.ReadDir("../../policies")
	if err != nil {
		return nil, err
	}
	_, err = e.Load(context.Background(), files, "test")
	return e, err
})

func engine(t testing.TB) *policy.Engine {
	t.Helper()
	e, err := shipped()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// replica is one app instance's lifecycle and sweeper on db, on the shared clock.
func replica(t testing.TB, db *store.DB, c *clock, cfg sweep.Config) (*lifecycle.Service, *sweep.Sweeper) {
	lc := lifecycle.New(db.Client, engine(t), lifecycle.WithClock(c.Now), lifecycle.WithLogger(discard))
	return lc, sweep.New(lc, cfg, sweep.NewMetrics(), discard)
}

// newLead creates a lead at the clock's time with activities of kinds at the same time, and
// qualifies it with them.
func newLead(t testing.TB, db *store.DB, lc *lifecycle.Service, c *clock, kinds ...activity.Kind) *ent.Lead {
	t.Helper()
	ctx := principal.With(context.Background(), principal.System)
	l, err := lc.CreateLead(ctx, ent.CreateLeadInput{Source: lead.SourceWEB_FORM}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kinds {
		if err := db.Client.Activity.Create().SetLeadID(l.ID).SetKind(k).SetOccurredAt(c.Now()).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lc.RequalifyLead(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	return reload(t, db, l.ID)
}

func reload(t testing.TB, db *store.DB, id int) *ent.Lead {
	t.Helper()
	l, err := db.Client.Lead.Query().Where(lead.ID(id)).WithStage().Only(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func run(t *testing.T, s *sweep.Sweeper) sweep.Stats {
	t.Helper()
	st, err := s.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Monday 2026-11-30 10:00 in Berlin, the bundle's time zone.
var monday = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// A hot lead with no new activity cools on schedule: it is looked at again when its engagement
// reaches a decay step, not before, and the re-score writes temperature, score and the policy
// revision; at the end of the idle window the same sweep moves it to nurture with trigger
// SCHEDULE and the revision hash in its history.
func TestHotLeadCoolsOnSchedule(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		c := &clock{t: monday}
		lc, s := replica(t, db, c, sweep.Config{BatchSize: 10})
		l := newLead(t, db, lc, c, activity.KindDEMO, activity.KindMEETING, activity.KindFORM_FILL)
		if l.Temperature == nil || *l.Temperature != lead.TemperatureHOT {
			t.Fatalf("new lead is %v, want HOT", l.Temperature)
		}
		// A second after engagement.full_days of data.json: exactly 30 days old still counts in full.
		full := 30*24*time.Hour + time.Second
		// The lead is an MQL: its acceptance SLA falls due first (TestMQLEscalatedOnceAcrossReplicas).
		if l.NextReviewAt == nil || l.NextReviewAt.After(monday.Add(full)) {
			t.Fatalf("next review %v, want at the latest %v (the first decay step)", l.NextReviewAt, monday.Add(full))
		}
		c.Set(monday.Add(full - time.Second))
		if st := run(t, s); st.Rescored != 0 {
			t.Fatalf("a sweep before the decay step re-scored: %+v", st)
		}
		if got := reload(t, db, l.ID); got.NextReviewAt == nil || !got.NextReviewAt.Equal(monday.Add(full)) {
			t.Fatalf("next review %v, want %v (the first decay step)", got.NextReviewAt, monday.Add(full))
		}
		if got := reload(t, db, l.ID); *got.Temperature != lead.TemperatureHOT {
			t.Fatalf("cooled before its step: %v", *got.Temperature)
		}
		c.Set(monday.Add(full))
		if st := run(t, s); st.Rescored != 1 {
			t.Fatalf("sweep at the decay step: %+v, want 1 re-scored", st)
		}
		warm := reload(t, db, l.ID)
		if *warm.Temperature != lead.TemperatureWARM || warm.Score >= l.Score {
			t.Fatalf("after the step: %v, score %d (was %d), want WARM and lower", *warm.Temperature, warm.Score, l.Score)
		}
		hash := engine(t).Active().Hash()
		if warm.PolicyHash == nil || *warm.PolicyHash != hash || !warm.QualifiedAt.Equal(monday.Add(full)) {
			t.Errorf("re-score stamped %v at %v, want %s at the step", warm.PolicyHash, warm.QualifiedAt, hash)
		}
		if run(t, s).Reviewed != 0 {
			t.Error("a second sweep at the same time reviewed the lead again")
		}
		window := 90*24*time.Hour + time.Second // engagement.window_days
		c.Set(monday.Add(window))
		run(t, s)
		cold := reload(t, db, l.ID)
		if *cold.Temperature != lead.TemperatureCOLD || cold.Edges.Stage.Key != "nurture" {
			t.Fatalf("after the window: %v at %s, want COLD at nurture", *cold.Temperature, cold.Edges.Stage.Key)
		}
		tr, err := db.Client.StageTransition.Query().Where(stagetransition.LeadID(l.ID)).
			Order(ent.Desc(stagetransition.FieldID)).First(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if tr.Trigger != stagetransition.TriggerSCHEDULE || tr.PolicyHash != hash || tr.ActorKind != stagetransition.ActorKindPOLICY {
			t.Errorf("the move to nurture: trigger %s, hash %q, actor %s", tr.Trigger, tr.PolicyHash, tr.ActorKind)
		}
	})
}

// An MQL untouched past its SLA (2 business days of the bundle's calendar) is escalated exactly
// once while two replicas sweep at the same time, and again by neither on later sweeps.
func TestMQLEscalatedOnceAcrossReplicas(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		c := &clock{t: monday}
		lc, a := replica(t, db, c, sweep.Config{BatchSize: 3})
		_, b := replica(t, db, c, sweep.Config{BatchSize: 3})
		var ids []int
		for range 5 {
			l := newLead(t, db, lc, c, activity.KindFORM_FILL)
			if l.Edges.Stage.Key != "mql" {
				t.Fatalf("lead at %s, want mql", l.Edges.Stage.Key)
			}
			ids = append(ids, l.ID)
		}
		due := time.Date(2026, 12, 2, 23, 0, 0, 0, time.UTC) // Thursday 00:00 in Berlin
		if l := reload(t, db, ids[0]); l.NextReviewAt == nil || !l.NextReviewAt.Equal(due) {
			t.Fatalf("next review %v, want the SLA deadline %v", l.NextReviewAt, due)
		}
		c.Set(due.Add(-time.Minute))
		if st := run(t, a); st.Escalated != 0 {
			t.Fatalf("escalated before the deadline: %+v", st)
		}
		c.Set(due.Add(time.Minute))
		for range 3 {
			var wg sync.WaitGroup
			for _, s := range []*sweep.Sweeper{a, b} {
				wg.Go(func() {
					if _, err := s.Run(context.Background(), nil); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		}
		for _, id := range ids {
			rows, err := db.Client.LeadEscalation.Query().Where(leadescalation.LeadID(id)).All(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || rows[0].Rule != "mql_acceptance" || rows[0].Action != leadescalation.ActionFLAG_MANAGER ||
				!rows[0].DueAt.Equal(due) || rows[0].PolicyHash != engine(t).Active().Hash() {
				t.Fatalf("lead %d escalations: %+v, want one mql_acceptance", id, rows)
			}
		}
	})
}
