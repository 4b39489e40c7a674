package seed_test

import (
	"context"
	"errors"
	"testing"

	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// Loaded runs once, with every lead written; on PostgreSQL's COPY path before the leads' own
// secondary indexes are built, and the other tables' are there to read by. Its error ends the
// seed, and the deferred indexes are built all the same.
func TestLoadedRunsBeforeTheLeadIndexes(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		indexes := func(table string) int {
			if db.Dialect != "postgres" {
				return 0
			}
			var n int
			if err := db.SQL.QueryRowContext(ctx, "SELECT count(*) FROM pg_indexes WHERE tablename = $1", table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		leadIndexes, activityIndexes := indexes("leads"), indexes("activities")
		failed := errors.New("scoring failed")
		calls := 0
		_, err := seed.Run(ctx, db.Client, seed.Options{Leads: 300, Seed: 2, Now: now, Pool: db.SQL,
			Loaded: func(ctx context.Context) error {
				calls++
				if n := db.Client.Lead.Query().CountX(ctx); n != 300 {
					t.Errorf("Loaded saw %d leads, want 300", n)
				}
				if db.Dialect == "postgres" {
					if got := indexes("leads"); got >= leadIndexes {
						t.Errorf("Loaded ran with %d indexes on leads, as many as in the schema", got)
					}
					if got := indexes("activities"); got != activityIndexes {
						t.Errorf("Loaded ran with %d indexes on activities, want %d", got, activityIndexes)
					}
				}
				return failed
			}})
		if calls != 1 || !errors.Is(err, failed) {
			t.Fatalf("Loaded called %d times, Run = %v; want once and its error", calls, err)
		}
		if got := indexes("leads"); got != leadIndexes {
			t.Errorf("%d indexes on leads after the seed, want %d", got, leadIndexes)
		}
	})
}

// Loaded (the scoring) rewrites every lead; the seed leaves the leads vacuumed, every page
// all-visible, so that a list's totalCount is an index-only scan from the first request.
func TestSeedLeavesTheLeadsVacuumed(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		if db.Dialect != "postgres" {
			t.Skip("VACUUM and the visibility map are PostgreSQL's")
		}
		ctx := context.Background()
		_, err := seed.Run(ctx, db.Client, seed.Options{Leads: 2000, Seed: 2, Now: now, Pool: db.SQL,
			Loaded: func(ctx context.Context) error {
				_, err := db.SQL.ExecContext(ctx, "UPDATE leads SET score = score + 1")
				return err
			}})
		if err != nil {
			t.Fatal(err)
		}
		var pages, visible int
		if err := db.SQL.QueryRowContext(ctx, "SELECT relpages, relallvisible FROM pg_class WHERE relname = 'leads'").Scan(&pages, &visible); err != nil {
			t.Fatal(err)
		}
		if pages == 0 || visible != pages {
			t.Errorf("leads after the seed: %d of %d pages all-visible", visible, pages)
		}
	})
}
