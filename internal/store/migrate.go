package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"time"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/sqlite"
	"entgo.io/ent/dialect"
)

// The migration directories, in atlas format (versioned .sql files and atlas.sum). They are
// written by migrations/gen.go from ent/schema; never edit them by hand.
//
//go:embed migrations/sqlite/*.sql migrations/sqlite/atlas.sum
//go:embed migrations/postgres/*.sql migrations/postgres/atlas.sum
var migrationFiles embed.FS

// migrateLockID is the PostgreSQL advisory lock key held while migrating ("qualify!" in ASCII).
const migrateLockID int64 = 0x7175616c69667921

// MigrationDir returns the embedded migration directory of a dialect.
func MigrationDir(d string) (migrate.Dir, error) {
	var name string
	switch d {
	case dialect.SQLite:
		name = "migrations/sqlite"
	case dialect.Postgres:
		name = "migrations/postgres"
	default:
		return nil, fmt.Errorf("store: no migrations for dialect %q", d)
	}
	entries, err := fs.ReadDir(migrationFiles, name)
	if err != nil {
		return nil, err
	}
	dir := &migrate.MemDir{}
	for _, e := range entries {
		b, err := migrationFiles.ReadFile(path.Join(name, e.Name()))
		if err != nil {
			return nil, err
		}
		if err := dir.WriteFile(e.Name(), b); err != nil {
			return nil, err
		}
	}
	return dir, nil
}

// Migrate applies the pending migration files, each in its own transaction, and records them
// in RevisionsTable. It is idempotent and safe to run at every start: on PostgreSQL it holds an
// advisory lock so that replicas starting together apply each file once; on SQLite each file's
// transaction begins IMMEDIATE, which serialises concurrent migrators the same way.
func (db *DB) Migrate(ctx context.Context) error {
	dir, err := MigrationDir(db.Dialect)
	if err != nil {
		return err
	}
	return db.MigrateDir(ctx, dir)
}

// MigrateDir is Migrate with another migration directory than the embedded one of the
// dialect, for tests and tools.
func (db *DB) MigrateDir(ctx context.Context, dir migrate.Dir) (err error) {
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	// A connection whose session state could not be restored must not go back to the pool.
	defer func() {
		if err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}()
	restore, err := db.prepareSession(ctx, conn)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer func() {
		if rerr := restore(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("store: migrate: %w", rerr))
		}
	}()
	rev := &revisions{q: conn, dialect: db.Dialect}
	if db.Dialect == dialect.Postgres {
		if err := conn.QueryRowContext(ctx, "SELECT current_schema()").Scan(&rev.schema); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
	}
	if err := rev.init(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for {
		done, err := db.applyNext(ctx, conn, dir, rev.schema)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		if done {
			return db.migrateRiver(ctx, conn)
		}
	}
}

// prepareSession readies the migration connection and returns what undoes it. PostgreSQL:
// take the advisory lock. SQLite: switch foreign keys off (a no-op inside a transaction, so it
// is done before) because altering a table there means copying it; applyNext checks the keys
// before each commit instead.
func (db *DB) prepareSession(ctx context.Context, conn *sql.Conn) (func() error, error) {
	enter, leave := "PRAGMA foreign_keys = off", "PRAGMA foreign_keys = on"
	var args []any
	if db.Dialect == dialect.Postgres {
		enter, leave = "SELECT pg_advisory_lock($1)", "SELECT pg_advisory_unlock($1)"
		args = []any{migrateLockID}
	}
	if _, err := conn.ExecContext(ctx, enter, args...); err != nil {
		return nil, err
	}
	return func() error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, err := conn.ExecContext(ctx, leave, args...)
		return err
	}, nil
}

// applyNext applies the first pending file in one transaction. It reports done when none is left.
func (db *DB) applyNext(ctx context.Context, conn *sql.Conn, dir migrate.Dir, schema string) (done bool, err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var drv migrate.Driver
	if db.Dialect == dialect.Postgres {
		drv, err = postgres.Open(tx)
	} else {
		drv, err = sqlite.Open(tx)
	}
	if err != nil {
		return false, err
	}
	ex, err := migrate.NewExecutor(drv, dir, &revisions{q: tx, dialect: db.Dialect, schema: schema})
	if err != nil {
		return false, err
	}
	pending, err := ex.Pending(ctx)
	if errors.Is(err, migrate.ErrNoPendingFiles) {
		return true, tx.Rollback()
	}
	if err != nil {
		return false, err
	}
	file := pending[0]
	start := time.Now()
	if err := ex.Execute(ctx, file); err != nil {
		return false, err
	}
	if db.Dialect == dialect.SQLite {
		if err := foreignKeyCheck(ctx, tx); err != nil {
			return false, fmt.Errorf("%s: %w", file.Name(), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("%s: commit: %w", file.Name(), err)
	}
	db.log.InfoContext(ctx, "migration applied", "dialect", db.Dialect, "version", file.Version(),
		"description", file.Desc(), "took", time.Since(start).Round(time.Millisecond))
	return false, nil
}

// foreignKeyCheck fails when a row references a missing parent, which SQLite does not check
// while foreign keys are off.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		var (
			table, parent string
			rowid         sql.NullInt64
			fk            int
		)
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return err
		}
		return fmt.Errorf("foreign key violation: %s row %d references a missing %s", table, rowid.Int64, parent)
	}
	return rows.Err()
}
