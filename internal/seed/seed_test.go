package seed_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// now anchors every data set of these tests.
var now = time.Date(2026, 3, 16, 9, 30, 0, 0, time.UTC)

func run(t testing.TB, db *store.DB, opts seed.Options) seed.Stats {
	t.Helper()
	st, err := seed.Run(context.Background(), db.Client, opts)
	if err != nil {
		t.Fatalf("seed.Run: %v", err)
	}
	return st
}

func TestDeterminism(t *testing.T) {
	base := seed.Options{Leads: 600, Seed: 7, Now: now}
	tests := []struct {
		name  string
		a, b  seed.Options
		equal bool
	}{
		{"same options", base, base, true},
		{"batch size does not change the data", base, with(base, func(o *seed.Options) { o.BatchSize = 37 }), true},
		{"now in another zone is the same instant", base, with(base, func(o *seed.Options) {
			o.Now = now.In(time.FixedZone("CET", 3600))
		}), true},
		{"another seed", base, with(base, func(o *seed.Options) { o.Seed = 8 }), false},
		{"another now", base, with(base, func(o *seed.Options) { o.Now = now.Add(24 * time.Hour) }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := testenv.SQLite(t), testenv.SQLite(t)
			run(t, a, tt.a)
			run(t, b, tt.b)
			if got := fingerprint(t, a.Client) == fingerprint(t, b.Client); got != tt.equal {
				t.Errorf("same fingerprint = %v, want %v", got, tt.equal)
			}
		})
	}
}

// TestSameDataOnBothDatabases seeds SQLite and PostgreSQL alike, PostgreSQL both through COPY
// and through INSERTs, and compares the rows.
func TestSameDataOnBothDatabases(t *testing.T) {
	opts := seed.Options{Leads: 400, Seed: 3, Now: now, BatchSize: 150}
	lite, pg, copied := testenv.SQLite(t), testenv.Postgres(t), testenv.Postgres(t)
	run(t, lite, opts)
	run(t, pg, opts)
	run(t, copied, with(opts, func(o *seed.Options) { o.Pool = copied.SQL }))
	a, b, c := fingerprint(t, lite.Client), fingerprint(t, pg.Client), fingerprint(t, copied.Client)
	if a != b || a != c {
		t.Errorf("fingerprints differ: sqlite %s, postgres %s, postgres by COPY %s", a, b, c)
	}
}

func with(o seed.Options, f func(*seed.Options)) seed.Options {
	f(&o)
	return o
}

func TestRunRefuses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(t *testing.T, db *store.DB)
		opts  seed.Options
		want  string
	}{
		{"no leads", nil, seed.Options{Now: now}, "Leads must be positive"},
		{"no anchor", nil, seed.Options{Leads: 10}, "Now is required"},
		{"negative batch", nil, seed.Options{Leads: 10, Now: now, BatchSize: -1}, "BatchSize"},
		{"missing stage", func(t *testing.T, db *store.DB) {
			db.Client.Stage.Update().Where(stage.Key("sal")).SetRetired(true).ExecX(ctx)
		}, seed.Options{Leads: 10, Now: now}, "lacks active stages sal"},
		{"not empty", func(t *testing.T, db *store.DB) {
			run(t, db, seed.Options{Leads: 5, Now: now})
		}, seed.Options{Leads: 10, Now: now}, seed.ErrNotEmpty.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := testenv.SQLite(t)
			if tt.setup != nil {
				tt.setup(t, db)
			}
			_, err := seed.Run(ctx, db.Client, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if tt.name == "not empty" && !errors.Is(err, seed.ErrNotEmpty) {
				t.Errorf("err = %v, want ErrNotEmpty", err)
			}
		})
	}
}

func TestProgress(t *testing.T) {
	db := testenv.SQLite(t)
	var calls [][2]int
	st := run(t, db, seed.Options{Leads: 250, Seed: 1, Now: now, BatchSize: 100,
		Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }})
	want := [][2]int{{100, 250}, {200, 250}, {250, 250}}
	if len(calls) != len(want) {
		t.Fatalf("progress calls = %v, want %v", calls, want)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Errorf("progress call %d = %v, want %v", i, calls[i], want[i])
		}
	}
	if st.Leads != 250 || st.Users == 0 || st.Accounts == 0 || st.Contacts == 0 || st.Transitions < 250 ||
		st.Activities == 0 || st.LeadContacts < 250 || st.Elapsed <= 0 {
		t.Errorf("stats = %+v", st)
	}
	n := 0
	for _, v := range st.ByStage {
		n += v
	}
	if n != 250 {
		t.Errorf("ByStage sums to %d, want 250: %v", n, st.ByStage)
	}
}
