package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Raw is the pool as code that writes its own SQL outside ent uses it (the schema check, the
// live feed's catch-up and its LISTEN connection). DB.Raw bounds each wait for a PostgreSQL
// connection by the acquisition timeout, as ent's queries are; *sql.DB is one without the bound.
type Raw interface {
	Conn(ctx context.Context) (*sql.Conn, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// QueryRow runs query and scans its first row into dest: sql.ErrNoRows when there is none.
// (*sql.Row cannot carry the acquisition's error, so Raw has no QueryRowContext.)
func QueryRow(ctx context.Context, r Raw, query string, args []any, dest ...any) error {
	rows, err := r.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// OnPgxConn runs fn on the pgx connection under one pooled connection of r, for what only pgx
// speaks: COPY, LISTEN. The connection goes back to the pool when fn returns.
func OnPgxConn(ctx context.Context, r Raw, fn func(*pgx.Conn) error) error {
	conn, err := r.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: not a pgx connection: %T", dc)
		}
		return fn(c.Conn())
	})
}

// Dollars numbers the ? placeholders of q as PostgreSQL's $after+1, $after+2, …, for SQL written
// with SQLite's placeholders (q has no ? in a literal).
func Dollars(q string, after int) string {
	var b strings.Builder
	n := after
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
