// Package txn runs a unit of work in one database transaction, and runs it again when the
// database failed the attempt for a reason another attempt may not meet (a deadlock, a
// serialization failure, a connection lost before the commit).
package txn

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/dberr"
)

// The retry budget. A transient failure (deadlock, serialization, lock timeout, SQLITE_BUSY)
// clears as soon as the other transaction ends, so it gets more attempts than a lost
// connection, which is retried on a fresh one only in case one pooled connection was dead.
const (
	maxTransientAttempts   = 10
	maxUnavailableAttempts = 3
	baseBackoff            = 5 * time.Millisecond
	maxBackoff             = 500 * time.Millisecond
)

// retries counts the attempts Run started again, by the kind of failure. It is a process-wide
// collector on purpose: Run is called from every domain package without a handle to thread
// through, and a counter is safe to share.
var retries = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "qualify_tx_retries_total",
	Help: "Database transactions run again after a failed attempt, by kind (transient: deadlock, serialization failure, lock timeout, SQLITE_BUSY; unavailable: connection lost before the commit).",
}, []string{"kind"})

// Collector is the retry counter, for the server's metrics registry.
func Collector() prometheus.Collector { return retries }

// Run calls fn with a client bound to a new transaction and a context carrying it, and commits
// when fn returns nil; any error or panic rolls back, so nothing is half-written. An attempt the
// database failed transiently, or that lost its connection before the commit, is rolled back
// and run again after a jittered, growing pause, a bounded number of times and never past ctx's
// deadline; fn must therefore only write through tx and announce through AfterCommit, so that
// an attempt that rolled back leaves nothing behind. A failed commit is never retried: it may
// have committed.
//
// Inside a Batch, Run is a savepoint of the batch's transaction instead (see Batch).
func Run(ctx context.Context, client *ent.Client, fn func(ctx context.Context, tx *ent.Client) error) error {
	if sc, ok := ctx.Value(scopeKey{}).(*scope); ok && sc.batch {
		if tx := ent.TxFromContext(ctx); tx != nil {
			return savepoint(ctx, tx, sc, fn)
		}
	}
	for attempt := 1; ; attempt++ {
		committing, err := runOnce(ctx, client, fn)
		if err == nil {
			return nil
		}
		kind := dberr.Classify(err)
		limit := 0
		switch {
		case kind == dberr.Transient:
			limit = maxTransientAttempts
		case kind == dberr.Unavailable && !committing:
			limit = maxUnavailableAttempts
		}
		if attempt >= limit || ctx.Err() != nil {
			return err
		}
		retries.WithLabelValues(kind.String()).Inc()
		if !sleep(ctx, backoff(attempt)) {
			return err
		}
	}
}

// backoff is the pause before attempt+1: full jitter over an exponentially growing cap.
func backoff(attempt int) time.Duration {
	ceiling := min(maxBackoff, baseBackoff<<min(attempt, 16))
	return time.Duration(rand.Int64N(int64(ceiling))) + time.Millisecond
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// runOnce is one attempt. committing reports that err came from the commit itself.
func runOnce(ctx context.Context, client *ent.Client, fn func(ctx context.Context, tx *ent.Client) error) (committing bool, err error) {
	tx, err := client.Tx(ctx)
	if err != nil {
		return false, fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	sc := &scope{batch: ctx.Value(batchKey{}) != nil}
	ctx = context.WithValue(ent.NewTxContext(ctx, tx), scopeKey{}, sc)
	if err := fn(ctx, tx.Client()); err != nil {
		return false, rollback(tx, err)
	}
	if err := sc.flush(ctx, tx.Client()); err != nil {
		return false, rollback(tx, err)
	}
	if err := tx.Commit(); err != nil {
		return true, fmt.Errorf("commit: %w", err)
	}
	return false, nil
}

func rollback(tx *ent.Tx, err error) error {
	if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, context.Canceled) {
		return fmt.Errorf("%w (rollback: %v)", err, rerr)
	}
	return err
}

// AfterCommit runs f once the transaction in ctx has committed, or at once when ctx carries no
// transaction. Side effects that others observe (events) must not escape a rolled-back write;
// an attempt Run retries registers its own, and those of the failed attempt are dropped.
func AfterCommit(ctx context.Context, f func()) {
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		f()
		return
	}
	if sc, ok := ctx.Value(scopeKey{}).(*scope); ok && sc.parent != nil {
		sc.after = append(sc.after, f) // a savepoint's: kept if it is released
		return
	}
	onCommit(tx, f)
}

func onCommit(tx *ent.Tx, f func()) {
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
