// Package txn runs a unit of work in one database transaction.
package txn

import (
	"context"
	"fmt"

	"github.com/qualify/qualify/ent"
)

// Run calls fn with a client bound to a new transaction and a context carrying it, and commits
// when fn returns nil; any error or panic rolls back, so nothing is half-written.
func Run(ctx context.Context, client *ent.Client, fn func(ctx context.Context, tx *ent.Client) error) (err error) {
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(ent.NewTxContext(ctx, tx), tx.Client()); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return fmt.Errorf("%w (rollback: %v)", err, rerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// AfterCommit runs f once the transaction in ctx has committed, or at once when ctx carries no
// transaction. Side effects that others observe (events) must not escape a rolled-back write.
func AfterCommit(ctx context.Context, f func()) {
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		f()
		return
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			f()
			return nil
		})
	})
}

// Detach returns v re-bound to the client that created its transaction, so the caller can load
// its edges after the commit (ent entities read in a transaction keep using it otherwise).
func Detach[T interface{ Unwrap() T }](v T, err error) (T, error) {
	if err != nil {
		var zero T
		return zero, err
	}
	return v.Unwrap(), nil
}
