package txn

import (
	"context"
	"fmt"

	"github.com/qualify/qualify/ent"
)

type batchKey struct{}

// Batch runs fn in one transaction as Run does (retried as a whole), and every Run called with
// fn's context becomes a savepoint of it: a unit that fails rolls back its own writes alone and
// returns its error, the batch goes on, and one commit serves many units (an import's rows)
// instead of one each. What a unit defers (Defer) or announces (AfterCommit) is kept only if
// the unit succeeds. A failed unit is not retried on its own: a transient failure fails the
// batch, which Run then runs again whole.
func Batch(ctx context.Context, client *ent.Client, fn func(ctx context.Context, tx *ent.Client) error) error {
	return Run(context.WithValue(ctx, batchKey{}, true), client, fn)
}

// savepoint runs fn as a savepoint of tx under the scope parent.
func savepoint(ctx context.Context, tx *ent.Tx, parent *scope, fn func(ctx context.Context, tx *ent.Client) error) (err error) {
	c := tx.Client()
	child := &scope{batch: true, parent: parent, depth: parent.depth + 1}
	name := fmt.Sprintf("qualify_unit_%d", child.depth)
	if _, err := c.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	undo := func() error {
		_, err := c.ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT "+name)
		if err == nil {
			_, err = c.ExecContext(context.WithoutCancel(ctx), "RELEASE SAVEPOINT "+name)
		}
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = undo()
			panic(p)
		}
	}()
	if err := fn(context.WithValue(ctx, scopeKey{}, child), c); err != nil {
		if uerr := undo(); uerr != nil {
			return fmt.Errorf("%w (rollback to savepoint: %v)", err, uerr)
		}
		return err
	}
	if _, err := c.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	for _, r := range child.replay {
		if err := r(parent); err != nil {
			return err
		}
	}
	for _, f := range child.after {
		if parent.parent != nil {
			parent.after = append(parent.after, f)
		} else {
			onCommit(tx, f)
		}
	}
	return nil
}
