package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/decisionlog"
	"github.com/qualify/qualify/ent/lead"
	dlog "github.com/qualify/qualify/internal/decisionlog"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
	"github.com/qualify/qualify/internal/txn"
)

// The bulk score writes each lead what qualifying it alone through its ent mutation writes, and
// logs the same decisions, on both databases, through a transaction of the client and, on
// PostgreSQL, with COPY on several connections of the pool.
func TestScoreMatchesOneLeadAtATime(t *testing.T) {
	e := policy.New(policy.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), EvalTimeout: 10 * time.Second})
	files, err := policy.ReadDir("../../policies")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Load(context.Background(), files, "test"); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	testenv.EachDB(t, func(t *testing.T, one *store.DB) {
		ctx := context.Background()
		fresh := testenv.SQLite
		if one.Dialect == "postgres" {
			fresh = testenv.Postgres
		}
		seeded := func(db *store.DB) *store.DB {
			if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: 2500, Seed: 9, Now: now.Truncate(24 * time.Hour), Pool: db.SQL}); err != nil {
				t.Fatal(err)
			}
			return db
		}
		clock := WithClock(func() time.Time { return now })
		scoreOneByOne(t, New(seeded(one).Client, e, clock))
		want, wantLogs := scores(t, one.Client), scoreLogs(t, one.Client)
		graded := 0
		for i := range want {
			if want[i]["grade"] != nil {
				graded++
			}
		}
		if graded == 0 || len(wantLogs) != 2500 {
			t.Fatalf("%d leads graded, %d decisions logged one by one: the comparison proves little", graded, len(wantLogs))
		}
		for _, tc := range []struct {
			name string
			pool bool
		}{{"client", false}, {"pool", true}} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.pool && one.Dialect != "postgres" {
					t.Skip("the pool is for COPY, on PostgreSQL")
				}
				bulk := seeded(fresh(t))
				opts := ScoreOptions{}
				if tc.pool {
					opts.Pool = bulk.SQL
				}
				n, err := New(bulk.Client, e, clock).Score(ctx, opts)
				if err != nil || n != 2500 {
					t.Fatalf("Score = %d, %v; want 2500 leads", n, err)
				}
				got := scores(t, bulk.Client)
				if len(got) != len(want) {
					t.Fatalf("%d leads, want %d", len(got), len(want))
				}
				for i := range want {
					if !reflect.DeepEqual(got[i], want[i]) {
						t.Fatalf("lead %d:\nbulk     %s\none by one %s", i, got[i], want[i])
					}
				}
				gotLogs := scoreLogs(t, bulk.Client)
				if len(gotLogs) != len(wantLogs) {
					t.Fatalf("%d score decisions logged, want %d", len(gotLogs), len(wantLogs))
				}
				for i := range wantLogs {
					if !reflect.DeepEqual(gotLogs[i], wantLogs[i]) {
						t.Fatalf("decision log %d:\nbulk       %+v\none by one %+v", i, gotLogs[i], wantLogs[i])
					}
				}
			})
		}
	})
}

// loggedDecision is a logged decision without what differs between two runs of it: its id,
// time and latency.
type loggedDecision struct {
	Kind                                        decisionlog.Kind
	LeadID                                      int
	Path, Revision, Hash, Err, Caller, Role, By string
	Input, Result                               map[string]any
}

// scoreLogs are the score decisions logged, by lead id.
func scoreLogs(t *testing.T, c *ent.Client) []loggedDecision {
	t.Helper()
	ls, err := c.DecisionLog.Query().Where(decisionlog.TriggerEQ("score")).Order(ent.Asc(decisionlog.FieldLeadID)).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]loggedDecision, len(ls))
	for i, l := range ls {
		out[i] = loggedDecision{Kind: l.Kind, LeadID: *l.LeadID, Path: l.Path, Revision: l.Revision, Hash: l.RevisionHash,
			Err: l.Error, Caller: l.Caller, Role: l.CallerRole, By: l.Trigger, Input: l.Input, Result: l.Result}
	}
	return out
}

// scoreOneByOne is the score as it was written before it went in bulk: one UPDATE per lead.
func scoreOneByOne(t *testing.T, s *Service) {
	ctx := context.Background()
	err := s.ScanLeads(ctx, nil, 500, func(batch []Candidate) error {
		now := s.now()
		return txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
			var logged []dlog.Entry
			for _, c := range batch {
				d, meta, err := s.decider.DecideLead(ctx, c.Input)
				if err != nil {
					return err
				}
				logged = append(logged, dlog.Entry{Kind: dlog.Lead, LeadID: c.ID, Meta: meta, Input: c.Input, Result: d, Trigger: "score"})
				upd := tx.Lead.UpdateOneID(c.ID)
				setDecision(upd.Mutation(), d, meta, now)
				sd, _, err := s.decider.DecideSchedule(ctx, scheduleInput(reviewState{in: c.Input, qualifiedAt: &now}, now, nil))
				if err != nil {
					return err
				}
				setNextReview(upd.Mutation(), sd)
				if err := upd.Exec(ctx); err != nil {
					return err
				}
			}
			return dlog.WriteAll(ctx, tx, logged)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// scores are the leads in id order as JSON objects, without id and updated_at (which the
// single update takes from the wall clock).
func scores(t *testing.T, c *ent.Client) []map[string]any {
	t.Helper()
	ls := c.Lead.Query().Order(ent.Asc(lead.FieldID)).AllX(context.Background())
	out := make([]map[string]any, len(ls))
	for i, l := range ls {
		buf, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(buf, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"id", "updated_at", "account_id", "owner_id"} {
			delete(m, k)
		}
		out[i] = m
	}
	return out
}

// BenchmarkScore scores SCORE_BENCH_LEADS seeded leads (2,000 by default) on PostgreSQL:
//
//	SCORE_BENCH_LEADS=20000 go test ./internal/lifecycle -run '^$' -bench Score -benchtime 1x
func BenchmarkScore(b *testing.B) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("SCORE_BENCH_LEADS")); err == nil && v > 0 {
		n = v
	}
	e := policy.New(policy.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), EvalTimeout: 10 * time.Second})
	files, err := policy.ReadDir("../../policies")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.Load(context.Background(), files, "bench"); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := testenv.Postgres(b)
		if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: n, Seed: 9, Now: time.Now().UTC().Truncate(24 * time.Hour), Pool: db.SQL}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		began := time.Now()
		if _, err := New(db.Client, e).Score(ctx, ScoreOptions{}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/time.Since(began).Seconds(), "leads/s")
	}
}

// A bulk score asks again for a decision that ran out of the policy's time, a few times at
// most, and for no other failure, nor once its own context has ended.
func TestPatientlyAsksAgainAfterTheDeadline(t *testing.T) {
	timedOut := &policy.EvalError{Query: "data.qualify.schedule.decision", Err: fmt.Errorf("evaluation stopped after 1s: %w", context.DeadlineExceeded)}
	other := errors.New("undefined")
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		answers []error // the decision's answers, one per call
		calls   int
		want    error
	}{
		{"answered at once", context.Background(), []error{nil}, 1, nil},
		{"answered the second time", context.Background(), []error{timedOut, nil}, 2, nil},
		{"always too long", context.Background(), []error{timedOut, timedOut, timedOut, nil}, scoreAttempts, timedOut},
		{"another failure", context.Background(), []error{other, nil}, 1, other},
		{"the caller gave up", ended, []error{timedOut, nil}, 1, timedOut},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := patiently(tc.ctx, func() error {
				calls++
				return tc.answers[calls-1]
			})
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) || calls != tc.calls {
				t.Errorf("patiently = %v after %d calls; want %v after %d", err, calls, tc.want, tc.calls)
			}
		})
	}
}
