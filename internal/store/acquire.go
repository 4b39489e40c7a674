package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/internal/dberr"
)

// DefaultAcquireTimeout is how long a query or transaction waits for a pooled PostgreSQL
// connection (including dialing a new one) when Config.AcquireTimeout is zero.
const DefaultAcquireTimeout = 3 * time.Second

// acquireDriver bounds the wait for a pooled connection on its own, shorter than the request's
// deadline: when the database is unreachable or blackholed, the connections in use hang, and
// every further request would queue behind them for its whole deadline. With the bound it is
// told at once, as dberr.ErrPoolTimeout (UNAVAILABLE), and holds nothing. Transactions, ent's
// queries and raw SQL (the client's QueryContext / ExecContext) all go through it.
type acquireDriver struct {
	*entsql.Driver
	db      *sql.DB
	timeout time.Duration
}

func newAcquireDriver(d *entsql.Driver, db *sql.DB, timeout time.Duration) *acquireDriver {
	if timeout <= 0 {
		timeout = DefaultAcquireTimeout
	}
	return &acquireDriver{Driver: d, db: db, timeout: timeout}
}

// Conn takes a connection from the pool within the acquisition timeout (DB.Raw).
func (d *acquireDriver) Conn(ctx context.Context) (*sql.Conn, error) { return d.conn(ctx) }

// conn takes a connection from the pool within the acquisition timeout.
func (d *acquireDriver) conn(ctx context.Context) (*sql.Conn, error) {
	actx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	c, err := d.db.Conn(actx)
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("%w (%s)", dberr.ErrPoolTimeout, d.timeout)
	}
	return c, err
}

func (d *acquireDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

// BeginTx begins a transaction on an acquired connection, which goes back to the pool when the
// transaction ends.
func (d *acquireDriver) BeginTx(ctx context.Context, opts *entsql.TxOptions) (dialect.Tx, error) {
	c, err := d.conn(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := c.BeginTx(ctx, opts)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return &connTx{Tx: &entsql.Tx{Conn: entsql.Conn{ExecQuerier: tx}, Tx: tx}, conn: c}, nil
}

// Exec runs a statement outside a transaction on an acquired connection.
func (d *acquireDriver) Exec(ctx context.Context, query string, args, v any) error {
	c, err := d.conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return entsql.Conn{ExecQuerier: c}.Exec(ctx, query, args, v)
}

// Query runs a query outside a transaction on an acquired connection, released when the rows
// are closed.
func (d *acquireDriver) Query(ctx context.Context, query string, args, v any) error {
	c, err := d.conn(ctx)
	if err != nil {
		return err
	}
	if err := (entsql.Conn{ExecQuerier: c}).Query(ctx, query, args, v); err != nil {
		_ = c.Close()
		return err
	}
	rows := v.(*entsql.Rows) // Conn.Query accepted it
	rows.ColumnScanner = &connRows{ColumnScanner: rows.ColumnScanner, conn: c}
	return nil
}

// ExecContext runs raw SQL outside a transaction on an acquired connection.
func (d *acquireDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c, err := d.conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.ExecContext(ctx, query, args...)
}

// QueryContext runs raw SQL outside a transaction on an acquired connection. *sql.Rows cannot
// be wrapped, so the connection is released by a goroutine that waits for the rows: sql.Conn's
// Close blocks until the rows it returned are closed (by the caller, by reading to the end, or
// when ctx ends).
func (d *acquireDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c, err := d.conn(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	go func() { _ = c.Close() }()
	return rows, nil
}

// connTx is a transaction that releases its connection when it ends.
type connTx struct {
	*entsql.Tx
	conn *sql.Conn
}

func (t *connTx) Commit() error {
	err := t.Tx.Commit()
	return errors.Join(err, t.conn.Close())
}

func (t *connTx) Rollback() error {
	err := t.Tx.Rollback()
	return errors.Join(err, t.conn.Close())
}

// connRows releases its connection when closed.
type connRows struct {
	entsql.ColumnScanner
	conn *sql.Conn
}

func (r *connRows) Close() error {
	err := r.ColumnScanner.Close()
	return errors.Join(err, r.conn.Close())
}
