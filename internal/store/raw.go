package store

import (
	"context"
	"database/sql"
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
