package txn_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/user"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
	"github.com/qualify/qualify/internal/txn"
)

// In a batch each Run is a savepoint: a unit that fails (here a unique violation, which aborts
// a PostgreSQL transaction until it rolls back to the savepoint) loses its own writes, its
// deferred work and its announcements, and the others commit together.
func TestBatchRollsBackAFailedUnitAlone(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var announced, flushed, listed []string
		refused := errors.New("refused")
		var errs []error
		err := txn.Batch(ctx, db.Client, func(ctx context.Context, _ *ent.Client) error {
			announced, flushed, listed, errs = nil, nil, nil, nil
			for i, name := range []string{"u1", "u2", "u1", "u3", "u4"} {
				errs = append(errs, txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
					if _, err := newUser(ctx, tx, fmt.Sprint(name, "-", i)); err != nil {
						return err
					}
					if err := txn.Defer(ctx, tx, "names", name, func(_ context.Context, _ *ent.Client, items []string) error {
						flushed = append(flushed, items...)
						return nil
					}); err != nil {
						return err
					}
					if err := txn.DeferList(ctx, tx, "list", name, func(_ context.Context, _ *ent.Client, items []string) error {
						listed = append(listed, items...)
						return nil
					}); err != nil {
						return err
					}
					txn.AfterCommit(ctx, func() { announced = append(announced, name) })
					// A second user with the first's email: a constraint error mid-unit.
					if name == "u1" && i == 2 {
						_, err := newUser(ctx, tx, "u1-0")
						return err
					}
					if name == "u4" {
						return refused
					}
					return nil
				}))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !ent.IsConstraintError(errs[2]) || !errors.Is(errs[4], refused) || errs[0] != nil || errs[1] != nil || errs[3] != nil {
			t.Fatalf("unit errors %v", errs)
		}
		names, _ := db.Client.User.Query().Order(ent.Asc(user.FieldID)).Select(user.FieldName).Strings(ctx)
		if !slices.Equal(names, []string{"u1-0", "u2-1", "u3-3"}) {
			t.Errorf("users %v", names)
		}
		slices.Sort(announced) // ent runs commit hooks last registered first
		if !slices.Equal(announced, []string{"u1", "u2", "u3"}) || !slices.Equal(flushed, []string{"u1", "u2", "u3"}) ||
			!slices.Equal(listed, []string{"u1", "u2", "u3"}) {
			t.Errorf("announced %v, flushed %v, listed %v", announced, flushed, listed)
		}
	})
}

// Memo loads a value once per transaction, savepoints included, and again in another one.
func TestMemoOncePerTransaction(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		loads := 0
		load := func() (int, error) { loads++; return 42, nil }
		for range 2 {
			err := txn.Batch(ctx, db.Client, func(ctx context.Context, _ *ent.Client) error {
				for range 3 {
					if err := txn.Run(ctx, db.Client, func(ctx context.Context, _ *ent.Client) error {
						v, err := txn.Memo(ctx, "answer", load)
						if v != 42 {
							t.Errorf("memo %d", v)
						}
						return err
					}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if loads != 2 {
			t.Errorf("%d loads in two transactions, want 2", loads)
		}
	})
}
