package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
)

// RevisionsTable records which migration files were applied, one row per file.
const RevisionsTable = "atlas_schema_revisions"

// queryer is what revisions need of a connection or a transaction.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// revisions is atlas's migrate.RevisionReadWriter over RevisionsTable.
type revisions struct {
	q       queryer
	dialect string
	schema  string // PostgreSQL schema holding the table; empty for SQLite
}

var _ migrate.RevisionReadWriter = (*revisions)(nil)

func revisionsDDL(d string) string {
	ts := "timestamptz"
	if d == dialect.SQLite {
		ts = "datetime"
	}
	return `CREATE TABLE IF NOT EXISTS ` + RevisionsTable + ` (
	version text NOT NULL PRIMARY KEY,
	description text NOT NULL,
	type bigint NOT NULL,
	applied bigint NOT NULL,
	total bigint NOT NULL,
	executed_at ` + ts + ` NOT NULL,
	execution_time bigint NOT NULL,
	error text NULL,
	error_stmt text NULL,
	hash text NOT NULL,
	partial_hashes text NULL,
	operator_version text NOT NULL
)`
}

// init creates the table when it is missing.
func (r *revisions) init(ctx context.Context) error {
	if _, err := r.q.ExecContext(ctx, revisionsDDL(r.dialect)); err != nil {
		return fmt.Errorf("create %s: %w", RevisionsTable, err)
	}
	return nil
}

// Ident names the table, so that atlas does not count it as schema content.
func (r *revisions) Ident() *migrate.TableIdent {
	return &migrate.TableIdent{Name: RevisionsTable, Schema: r.schema}
}

const revisionColumns = `version, description, type, applied, total, executed_at, execution_time,
	error, error_stmt, hash, partial_hashes, operator_version`

// ReadRevisions returns all revisions, by version.
func (r *revisions) ReadRevisions(ctx context.Context) ([]*migrate.Revision, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT `+revisionColumns+` FROM `+RevisionsTable+` ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var revs []*migrate.Revision
	for rows.Next() {
		rev, err := scanRevision(rows)
		if err != nil {
			return nil, err
		}
		revs = append(revs, rev)
	}
	return revs, rows.Err()
}

// ReadRevision returns the revision of version, or migrate.ErrRevisionNotExist.
func (r *revisions) ReadRevision(ctx context.Context, version string) (*migrate.Revision, error) {
	row := r.q.QueryRowContext(ctx, `SELECT `+revisionColumns+` FROM `+RevisionsTable+` WHERE version = `+r.ph(1), version)
	rev, err := scanRevision(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, migrate.ErrRevisionNotExist
	}
	return rev, err
}

// WriteRevision inserts or updates the revision.
func (r *revisions) WriteRevision(ctx context.Context, rev *migrate.Revision) error {
	partial, err := json.Marshal(rev.PartialHashes)
	if err != nil {
		return err
	}
	ph := make([]string, 12)
	for i := range ph {
		ph[i] = r.ph(i + 1)
	}
	_, err = r.q.ExecContext(ctx, `INSERT INTO `+RevisionsTable+` (`+revisionColumns+`)
		VALUES (`+strings.Join(ph, ", ")+`)
		ON CONFLICT (version) DO UPDATE SET description = excluded.description, type = excluded.type,
			applied = excluded.applied, total = excluded.total, executed_at = excluded.executed_at,
			execution_time = excluded.execution_time, error = excluded.error, error_stmt = excluded.error_stmt,
			hash = excluded.hash, partial_hashes = excluded.partial_hashes, operator_version = excluded.operator_version`,
		rev.Version, rev.Description, int64(rev.Type), rev.Applied, rev.Total, rev.ExecutedAt.UTC(),
		int64(rev.ExecutionTime), nullString(rev.Error), nullString(rev.ErrorStmt), rev.Hash, string(partial),
		rev.OperatorVersion)
	return err
}

// DeleteRevision deletes the revision of version.
func (r *revisions) DeleteRevision(ctx context.Context, version string) error {
	_, err := r.q.ExecContext(ctx, `DELETE FROM `+RevisionsTable+` WHERE version = `+r.ph(1), version)
	return err
}

// ph is the n-th bind parameter of the dialect.
func (r *revisions) ph(n int) string {
	if r.dialect == dialect.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

func scanRevision(s interface{ Scan(...any) error }) (*migrate.Revision, error) {
	var (
		rev               migrate.Revision
		typ, execTime     int64
		errText, errStmt  sql.NullString
		partial, operator sql.NullString
		executedAt        time.Time
	)
	err := s.Scan(&rev.Version, &rev.Description, &typ, &rev.Applied, &rev.Total, &executedAt, &execTime,
		&errText, &errStmt, &rev.Hash, &partial, &operator)
	if err != nil {
		return nil, err
	}
	rev.Type = migrate.RevisionType(typ)
	rev.ExecutedAt = executedAt
	rev.ExecutionTime = time.Duration(execTime)
	rev.Error, rev.ErrorStmt, rev.OperatorVersion = errText.String, errStmt.String, operator.String
	if partial.Valid && partial.String != "" && partial.String != "null" {
		if err := json.Unmarshal([]byte(partial.String), &rev.PartialHashes); err != nil {
			return nil, fmt.Errorf("revision %s: partial hashes: %w", rev.Version, err)
		}
	}
	return &rev, nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
