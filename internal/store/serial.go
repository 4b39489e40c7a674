package store

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/internal/dberr"
)

// serialDriver queues the transactions of one process on a SQLite database in arrival order.
// Every transaction begins IMMEDIATE, so SQLite lets one run at a time anyway; but a transaction
// that finds the database locked polls it with growing sleeps, and a busy writer (a requalify
// job committing lead after lead) can keep winning the lock until the poller's 10 s busy
// timeout fails it with SQLITE_BUSY. A queue in the process is fair and never polls. One
// serve process per database file is assumed (replicas use PostgreSQL).
type serialDriver struct {
	*entsql.Driver
	turn    chan struct{} // holds a token while a transaction runs
	maxWait time.Duration // the longest wait for the turn of a caller without a deadline
}

func newSerialDriver(d *entsql.Driver, maxWait time.Duration) *serialDriver {
	return &serialDriver{Driver: d, turn: make(chan struct{}, 1), maxWait: maxWait}
}

func (d *serialDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

// BeginTx waits for the transactions begun before it to end; a context that ends first stops
// the wait.
func (d *serialDriver) BeginTx(ctx context.Context, opts *entsql.TxOptions) (dialect.Tx, error) {
	if err := d.take(ctx); err != nil {
		return nil, err
	}
	tx, err := d.Driver.BeginTx(ctx, opts)
	if err != nil {
		<-d.turn
		return nil, err
	}
	return &serialTx{Tx: tx.(*entsql.Tx), release: sync.OnceFunc(func() { <-d.turn })}, nil
}

// Exec, ExecContext, Query and QueryContext outside a transaction take the turn for writes
// too (an UPDATE through ent's builders runs without one), so they queue with the
// transactions instead of polling past them. Reads run at once: WAL lets them.

func (d *serialDriver) Exec(ctx context.Context, query string, args, v any) error {
	if err := d.wait(ctx, query); err != nil {
		return err
	}
	defer d.done(query)
	return d.Driver.Exec(ctx, query, args, v)
}

func (d *serialDriver) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	if err := d.wait(ctx, query); err != nil {
		return nil, err
	}
	defer d.done(query)
	return d.Driver.ExecContext(ctx, query, args...)
}

func (d *serialDriver) Query(ctx context.Context, query string, args, v any) error {
	if err := d.wait(ctx, query); err != nil {
		return err
	}
	defer d.done(query)
	return withNullSafeTypes(v, d.Driver.Query(ctx, query, args, v))
}

func (d *serialDriver) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	if err := d.wait(ctx, query); err != nil {
		return nil, err
	}
	defer d.done(query)
	return d.Driver.QueryContext(ctx, query, args...)
}

func (d *serialDriver) wait(ctx context.Context, query string) error {
	if isRead(query) {
		return nil
	}
	return d.take(ctx)
}

// DefaultSQLiteWriteWait bounds a wait for the turn of a caller without a deadline, as SQLite's
// busy timeout bounded the polling it replaces: a write issued outside the transaction its
// caller holds fails instead of hanging.
const DefaultSQLiteWriteWait = 30 * time.Second

// ErrBusy is returned when the turn did not come in time. It is a lock timeout
// (dberr.Transient): the transaction runner tries again, and a request is never told INTERNAL
// because others were writing.
var ErrBusy = fmt.Errorf("store: the SQLite database stayed busy: %w", dberr.ErrLockTimeout)

// take waits for the turn: as long as ctx's deadline allows (a request in a queue of writers
// keeps its place until then), or maxWait for a ctx without one.
func (d *serialDriver) take(ctx context.Context) error {
	select {
	case d.turn <- struct{}{}:
		return nil
	default:
	}
	var expired <-chan time.Time
	if _, ok := ctx.Deadline(); !ok {
		timer := time.NewTimer(d.maxWait)
		defer timer.Stop()
		expired = timer.C
	}
	select {
	case d.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-expired:
		return ErrBusy
	}
}

func (d *serialDriver) done(query string) {
	if !isRead(query) {
		<-d.turn
	}
}

// isRead reports whether a statement only reads: SELECT, or a WITH query that is one.
func isRead(query string) bool {
	q := strings.TrimSpace(query)
	word := func(w string) bool { return len(q) >= len(w) && strings.EqualFold(q[:len(w)], w) }
	if word("SELECT") || word("PRAGMA") || word("EXPLAIN") {
		return true
	}
	if word("WITH") {
		u := strings.ToUpper(q)
		return !strings.Contains(u, "INSERT ") && !strings.Contains(u, "UPDATE ") && !strings.Contains(u, "DELETE ")
	}
	return false
}

// serialTx gives the turn back when it ends. It embeds *entsql.Tx so that ExecContext and
// QueryContext, which ent's raw-SQL helpers look for, stay available.
type serialTx struct {
	*entsql.Tx
	release func()
}

func (t *serialTx) Query(ctx context.Context, query string, args, v any) error {
	return withNullSafeTypes(v, t.Tx.Query(ctx, query, args, v))
}

func (t *serialTx) Commit() error {
	defer t.release()
	return t.Tx.Commit()
}

func (t *serialTx) Rollback() error {
	defer t.release()
	return t.Tx.Rollback()
}
