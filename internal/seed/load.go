package seed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/store"
)

// loader opens the transactions the seed writes in. The rows of a table are written in bulk,
// past ent's builders: no RETURNING, no per-row hooks (the seed's tables have none on create
// but the append-only and never-delete guards), and ids the seed takes from the table's own
// sequence first, so that a lead's transitions and activities can be written beside it.
type loader interface {
	inTx(ctx context.Context, fn func(tx loadTx) error) error
}

// loadTx writes inside one transaction.
type loadTx interface {
	// reserve takes n ids from the sequence of table, ascending.
	reserve(ctx context.Context, table string, n int) ([]int, error)
	// write inserts rows, each holding a value per column of cols.
	write(ctx context.Context, table string, cols []string, rows [][]any) error
}

// newLoader picks PostgreSQL's COPY when pool is a pgx pool, and multi-row INSERTs through
// the ent client (whose driver queues SQLite's writers) otherwise.
func newLoader(c *ent.Client, pool *sql.DB, dia string) loader {
	if dia == dialect.Postgres && pool != nil {
		if _, ok := pool.Driver().(*stdlib.Driver); ok {
			return copyLoader{pool: pool}
		}
	}
	return insertLoader{client: c, dialect: dia, limit: paramLimit(dia)}
}

// copyLoader writes with COPY FROM STDIN (binary) on a pgx connection of the pool.
type copyLoader struct{ pool *sql.DB }

func (l copyLoader) inTx(ctx context.Context, fn func(loadTx) error) error {
	return store.OnPgxConn(ctx, l.pool, func(c *pgx.Conn) error {
		return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error { return fn(copyTx{tx}) })
	})
}

type copyTx struct{ tx pgx.Tx }

func (t copyTx) reserve(ctx context.Context, table string, n int) ([]int, error) {
	rows, err := t.tx.Query(ctx, reserveSQL, table, n)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, err
	}
	return ids, ascending(ids, n)
}

func (t copyTx) write(ctx context.Context, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	n, err := t.tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
	if err == nil && int(n) != len(rows) {
		err = fmt.Errorf("copied %d rows of %d", n, len(rows))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	return nil
}

// reserveSQL takes $2 ids from the identity sequence of table $1 (PostgreSQL).
const reserveSQL = `SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2::int) ORDER BY 1`

// insertLoader writes multi-row INSERTs in ent transactions, every statement under the
// dialect's bind-parameter limit.
type insertLoader struct {
	client  *ent.Client
	dialect string
	limit   int
}

func (l insertLoader) inTx(ctx context.Context, fn func(loadTx) error) error {
	tx, err := l.client.Tx(ctx)
	if err != nil {
		return err
	}
	if err := fn(insertTx{l, tx.Client()}); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return fmt.Errorf("%w (rollback: %v)", err, rerr)
		}
		return err
	}
	return tx.Commit()
}

type insertTx struct {
	insertLoader
	c *ent.Client
}

func (t insertTx) reserve(ctx context.Context, table string, n int) ([]int, error) {
	if t.dialect != dialect.SQLite {
		rows, err := t.c.QueryContext(ctx, reserveSQL, table, n)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		ids := make([]int, 0, n)
		for rows.Next() {
			var id int
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return ids, ascending(ids, n)
	}
	// SQLite: the write transaction holds the database, so the ids above both the sequence
	// (which holds the table's global-id base) and the largest id are free; inserting them
	// moves the AUTOINCREMENT sequence on.
	rows, err := t.c.QueryContext(ctx, `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0),
		coalesce((SELECT max(id) FROM `+quote(table)+`), 0))`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var last int
	if !rows.Next() {
		return nil, errors.New("no sequence row")
	}
	if err := rows.Scan(&last); err != nil {
		return nil, err
	}
	ids := make([]int, n)
	for i := range ids {
		ids[i] = last + 1 + i
	}
	return ids, rows.Close()
}

func (t insertTx) write(ctx context.Context, table string, cols []string, rows [][]any) error {
	per := max(1, t.limit/len(cols))
	args := make([]any, 0, min(per, len(rows))*len(cols))
	var b strings.Builder
	for lo := 0; lo < len(rows); lo += per {
		hi := min(lo+per, len(rows))
		b.Reset()
		args = args[:0]
		b.WriteString("INSERT INTO " + quote(table) + " (")
		for i, c := range cols {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(quote(c))
		}
		b.WriteString(") VALUES ")
		for i, r := range rows[lo:hi] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for j := range r {
				if j > 0 {
					b.WriteByte(',')
				}
				if t.dialect == dialect.SQLite {
					b.WriteByte('?')
				} else {
					b.WriteString("$" + strconv.Itoa(len(args)+j+1))
				}
			}
			b.WriteByte(')')
			args = append(args, r...)
		}
		if _, err := t.c.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	return nil
}

func quote(name string) string { return `"` + name + `"` }

// ascending checks that a sequence handed out n ids in increasing order: rows are written in
// id order, and the leads' ids follow their creation.
func ascending(ids []int, n int) error {
	if len(ids) != n {
		return fmt.Errorf("seed: reserved %d ids of %d", len(ids), n)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			return errIDOrder
		}
	}
	return nil
}
