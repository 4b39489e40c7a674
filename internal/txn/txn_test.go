package txn_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/user"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
	"github.com/qualify/qualify/internal/txn"
)

func newUser(ctx context.Context, c *ent.Client, name string) (*ent.User, error) {
	return c.User.Create().SetName(name).SetEmail(name + "@txn.example").SetRole(user.RoleBDR).Save(ctx)
}

// An attempt the database failed transiently is rolled back and run again; what it wrote and
// what it meant to announce after the commit are gone with it, so the side effect happens once.
func TestRetriesTransientFailureAndAnnouncesOnce(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var attempts, announced atomic.Int32
		err := txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
			n := attempts.Add(1)
			if _, err := newUser(ctx, tx, fmt.Sprintf("attempt%d", n)); err != nil {
				return err
			}
			txn.AfterCommit(ctx, func() { announced.Add(1) })
			if n == 1 {
				return fmt.Errorf("rollup: %w", &pgconn.PgError{Code: "40P01", Message: "deadlock detected"})
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		names, _ := db.Client.User.Query().Select(user.FieldName).Strings(ctx)
		if attempts.Load() != 2 || announced.Load() != 1 || len(names) != 1 || names[0] != "attempt2" {
			t.Fatalf("attempts %d, announced %d, users %v: want 2 attempts, 1 announcement, [attempt2]",
				attempts.Load(), announced.Load(), names)
		}
	})
}

// Errors that are not the database's passing trouble are returned at once.
func TestDoesNotRetryOtherErrors(t *testing.T) {
	db := testenv.SQLite(t)
	refused := errors.New("refused by policy")
	attempts := 0
	err := txn.Run(context.Background(), db.Client, func(context.Context, *ent.Client) error {
		attempts++
		return refused
	})
	if !errors.Is(err, refused) || attempts != 1 {
		t.Fatalf("err %v after %d attempts: want the error after 1", err, attempts)
	}
}

// Two transactions that lock two rows in opposite orders deadlock on PostgreSQL; the one the
// server picks as the victim runs again and both commit.
func TestRealDeadlockIsRetried(t *testing.T) {
	db := testenv.Postgres(t)
	ctx := context.Background()
	a, err := newUser(ctx, db.Client, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := newUser(ctx, db.Client, "b")
	if err != nil {
		t.Fatal(err)
	}
	var both sync.WaitGroup
	both.Add(2) // each first attempt holds its first lock until the other holds its own
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, order := range [][2]int{{a.ID, b.ID}, {b.ID, a.ID}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := true
			errs[i] = txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
				if err := tx.User.UpdateOneID(order[0]).SetTeam(fmt.Sprint("t", i)).Exec(ctx); err != nil {
					return err
				}
				if first {
					first = false
					both.Done()
					both.Wait()
				}
				return tx.User.UpdateOneID(order[1]).SetTeam(fmt.Sprint("t", i)).Exec(ctx)
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v", i, err)
		}
	}
}

// Defer collects items under a key and flushes them once, sorted, inside the transaction just
// before it commits; without a transaction it flushes at once.
func TestDeferFlushesOncePerTransaction(t *testing.T) {
	db := testenv.SQLite(t)
	ctx := context.Background()
	type key struct{}
	var flushed [][]int
	flush := func(ctx context.Context, tx *ent.Client, items []int) error {
		if ent.TxFromContext(ctx) == nil {
			return errors.New("flushed outside the transaction")
		}
		flushed = append(flushed, items)
		return nil
	}
	err := txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
		for _, id := range []int{7, 3, 7, 5} {
			if err := txn.Defer(ctx, tx, key{}, id, flush); err != nil {
				return err
			}
		}
		if len(flushed) != 0 {
			return errors.New("flushed before the end of the transaction")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(flushed) != "[[3 5 7]]" {
		t.Fatalf("flushed %v, want [[3 5 7]]", flushed)
	}
	flushed = nil
	_ = txn.Defer(ctx, db.Client, key{}, 9, func(_ context.Context, _ *ent.Client, items []int) error {
		flushed = append(flushed, items)
		return nil
	})
	if fmt.Sprint(flushed) != "[[9]]" {
		t.Fatalf("without a transaction: flushed %v, want [[9]]", flushed)
	}
}

// TakeList hands over what DeferList kept so far; what is deferred after it is flushed at the
// commit as before. A savepoint of a Batch keeps its items (it may still roll back).
func TestTakeListHandsOverTheItemsSoFar(t *testing.T) {
	db := testenv.SQLite(t)
	ctx := context.Background()
	type key struct{}
	var flushed [][]string
	flush := func(_ context.Context, _ *ent.Client, items []string) error {
		flushed = append(flushed, items)
		return nil
	}
	var taken []string
	err := txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
		for _, s := range []string{"a", "b"} {
			if err := txn.DeferList(ctx, tx, key{}, s, flush); err != nil {
				return err
			}
		}
		taken = txn.TakeList[string](ctx, key{})
		return txn.DeferList(ctx, tx, key{}, "c", flush)
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(taken) != "[a b]" || fmt.Sprint(flushed) != "[[c]]" {
		t.Fatalf("taken %v, flushed %v; want [a b] and [[c]]", taken, flushed)
	}
	flushed, taken = nil, []string{"unset"}
	err = txn.Batch(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
		return txn.Run(ctx, tx, func(ctx context.Context, tx *ent.Client) error {
			if err := txn.DeferList(ctx, tx, key{}, "d", flush); err != nil {
				return err
			}
			taken = txn.TakeList[string](ctx, key{})
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if taken != nil || fmt.Sprint(flushed) != "[[d]]" {
		t.Fatalf("in a savepoint: taken %v, flushed %v; want nothing taken and [[d]]", taken, flushed)
	}
}
