package store

import (
	"context"
	"database/sql"
	"fmt"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/qualify/qualify/ent"
)

// RiverDriver is the job queue's (River's) driver on this database's pool. Both drivers work on
// database/sql, so that a job is inserted in the very *sql.Tx an ent transaction runs in
// (SQLTx): on PostgreSQL River's database/sql driver over the same pgx stdlib pool, on SQLite
// River's SQLite driver over the same modernc pool.
func (db *DB) RiverDriver() riverdriver.Driver[*sql.Tx] {
	if db.Dialect == dialect.Postgres {
		return riverdatabasesql.New(db.SQL)
	}
	return riversqlite.New(db.SQL)
}

// SQLTx returns the database/sql transaction under an ent transaction of a client this package
// opened, or nil for another kind.
func SQLTx(tx *ent.Tx) *sql.Tx {
	var et *entsql.Tx
	switch t := tx.DialectTx().(type) {
	case *serialTx:
		et = t.Tx
	case *connTx:
		et = t.Tx
	case *entsql.Tx:
		et = t
	}
	if et == nil {
		return nil
	}
	stx, _ := et.Tx.(*sql.Tx)
	return stx
}

// migrateRiver applies River's own migrations (its job, leader and queue tables) on conn, the
// connection that holds the migration lock: replicas starting together do not race on them,
// and a pool of one connection does not wait for a second. One transaction per version, as
// River's own Migrate does (a PostgreSQL enum value must commit before it is used).
func (db *DB) migrateRiver(ctx context.Context, conn *sql.Conn) error {
	m, err := rivermigrate.New(db.RiverDriver(), &rivermigrate.Config{Logger: db.log})
	if err != nil {
		return err
	}
	for {
		applied, err := db.migrateRiverStep(ctx, conn, m)
		if err != nil {
			return fmt.Errorf("river: %w", err)
		}
		if !applied {
			return nil
		}
	}
}

// migrateRiverStep applies River's next migration, if any, in a transaction of its own.
func (db *DB) migrateRiverStep(ctx context.Context, conn *sql.Conn, m *rivermigrate.Migrator[*sql.Tx]) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	res, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{MaxSteps: 1})
	if err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	for _, v := range res.Versions {
		db.log.InfoContext(ctx, "river migration applied", "dialect", db.Dialect, "version", v.Version, "name", v.Name)
	}
	return len(res.Versions) > 0, nil
}

// checkRiver returns an error wrapping ErrSchemaBehind unless River's newest migration is applied.
func (db *DB) checkRiver(ctx context.Context) error {
	m, err := rivermigrate.New(db.RiverDriver(), &rivermigrate.Config{Logger: db.log})
	if err != nil {
		return err
	}
	have, err := m.ExistingVersions(ctx)
	if err != nil {
		if db.missingTable(ctx, "river_migration") {
			return fmt.Errorf("%w: job queue not migrated", ErrSchemaBehind)
		}
		return err
	}
	all := m.AllVersions()
	if len(have) == 0 || have[len(have)-1].Version < all[len(all)-1].Version {
		return fmt.Errorf("%w: job queue behind", ErrSchemaBehind)
	}
	return nil
}
