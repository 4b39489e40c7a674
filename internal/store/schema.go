package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"
)

// ErrSchemaBehind says the database is not at the schema this binary was built for: not
// migrated at all, or missing later migration files.
var ErrSchemaBehind = errors.New("the database schema is not at the expected migration")

// ExpectedVersion is the version of the newest embedded migration file of the dialect.
func (db *DB) ExpectedVersion() (string, error) {
	dir, err := MigrationDir(db.Dialect)
	if err != nil {
		return "", err
	}
	files, err := dir.Files()
	if err != nil {
		return "", err
	}
	if len(files) == 0 {
		return "", errors.New("store: no migration files")
	}
	return files[len(files)-1].Version(), nil
}

// CheckSchema returns nil when the newest embedded migration is recorded as applied in full,
// else an error wrapping ErrSchemaBehind (or the database's error when it cannot be asked).
func (db *DB) CheckSchema(ctx context.Context) error {
	want, err := db.ExpectedVersion()
	if err != nil {
		return err
	}
	var applied, total int64
	err = db.SQL.QueryRowContext(ctx, "SELECT applied, total FROM "+RevisionsTable+" WHERE version = "+
		db.placeholder(1), want).Scan(&applied, &total)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %s not applied", ErrSchemaBehind, want)
	case err != nil && db.missingTable(ctx, RevisionsTable):
		return fmt.Errorf("%w: not migrated", ErrSchemaBehind)
	case err != nil:
		return err
	case applied < total:
		return fmt.Errorf("%w: %s applied in part", ErrSchemaBehind, want)
	}
	return db.checkRiver(ctx)
}

// missingTable reports whether table does not exist (the database answers, but was never
// migrated).
func (db *DB) missingTable(ctx context.Context, table string) bool {
	q := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	if db.Dialect != dialect.SQLite {
		q = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
	}
	var n int
	return db.SQL.QueryRowContext(ctx, q, table).Scan(&n) == nil && n == 0
}

func (db *DB) placeholder(i int) string {
	if db.Dialect == dialect.SQLite {
		return "?"
	}
	return fmt.Sprintf("$%d", i)
}
