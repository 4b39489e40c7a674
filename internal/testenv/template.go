package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/qualify/qualify/internal/stagesync"
	"github.com/qualify/qualify/internal/store"
)

// Migrating a database costs far more than copying one (modernc's SQLite and atlas are slow
// under -race, and each test used to pay for it). So a migrated, stage-synced database is built
// once as a template and every test gets a copy. The template is named by a hash of what goes
// into it (the migration files and the stage list), so test binaries running side by side and
// later runs share it, and a new migration or stage list gets a template of its own.

// templateKey is the content hash of a dialect's template.
func templateKey(dialect string) (string, error) {
	dir, err := store.MigrationDir(dialect)
	if err != nil {
		return "", err
	}
	files, err := dir.Files()
	if err != nil {
		return "", err
	}
	stages, err := bundleStages()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "qualify testenv template v1\x00%s\x00", dialect)
	for _, f := range files {
		fmt.Fprintf(h, "%s\x00%d\x00", f.Name(), len(f.Bytes()))
		h.Write(f.Bytes())
	}
	if err := json.NewEncoder(h).Encode(stages); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// prepare migrates db and syncs the bundle's stages into it: what every test database holds.
func prepare(ctx context.Context, db *store.DB) error {
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	stages, err := bundleStages()
	if err != nil {
		return fmt.Errorf("stages: %w", err)
	}
	if err := stagesync.Sync(ctx, db.Client, stages); err != nil {
		return fmt.Errorf("sync stages: %w", err)
	}
	return nil
}

// sqliteTemplate is the content of the SQLite template, read once per test binary.
var sqliteTemplate = sync.OnceValues(func() ([]byte, error) {
	key, err := templateKey("sqlite3")
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(os.TempDir(), "qualify-testenv")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "sqlite-"+key+".db")
	if b, err := os.ReadFile(path); err == nil {
		return b, nil
	}
	b, err := buildSQLiteTemplate(dir)
	if err != nil {
		return nil, fmt.Errorf("build the SQLite template: %w", err)
	}
	// Written under a private name and renamed: another binary never reads half a file, and
	// two that build at once leave the same bytes.
	tmp, err := os.CreateTemp(dir, "sqlite-*.tmp")
	if err != nil {
		return nil, err
	}
	_, werr := tmp.Write(b)
	if err := errors.Join(werr, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return nil, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return nil, err
	}
	return b, nil
})

// buildSQLiteTemplate prepares a database in a scratch directory and returns it as one
// self-contained file (VACUUM INTO folds in the WAL).
func buildSQLiteTemplate(parent string) ([]byte, error) {
	scratch, err := os.MkdirTemp(parent, "build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	db, err := store.Open(ctx, store.Config{SQLitePath: filepath.Join(scratch, "build.db")})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := prepare(ctx, db); err != nil {
		return nil, err
	}
	out := filepath.Join(scratch, "template.db")
	if _, err := db.SQL.ExecContext(ctx, "VACUUM INTO ?", out); err != nil {
		return nil, err
	}
	return os.ReadFile(out)
}

// cloneSQLite writes a copy of the template to path.
func cloneSQLite(path string) error {
	b, err := sqliteTemplate()
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// postgresTemplate is the name of the PostgreSQL template database on srv, built once per
// server and schema.
var postgresTemplate = sync.OnceValues(func() (string, error) {
	srv, err := sharedServer()
	if err != nil {
		return "", err
	}
	key, err := templateKey("postgres")
	if err != nil {
		return "", err
	}
	name := "qualify_tmpl_" + key
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	var n int
	if err := srv.admin.QueryRowContext(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		return "", err
	}
	if n == 1 {
		return name, nil
	}
	if err := buildPostgresTemplate(ctx, srv, name); err != nil {
		return "", fmt.Errorf("build the PostgreSQL template %s: %w", name, err)
	}
	return name, nil
})

// buildPostgresTemplate prepares a database under a private name and renames it to name once
// complete, so a template that exists is whole; when another binary got there first, its
// template is used and this one dropped. Connections to the template are then disallowed:
// CREATE DATABASE … TEMPLATE fails while anything is connected to it.
func buildPostgresTemplate(ctx context.Context, srv *server, name string) error {
	build := "qualify_build_" + randomHex()
	if _, err := srv.admin.ExecContext(ctx, "CREATE DATABASE "+build); err != nil {
		return err
	}
	drop := func() {
		_, _ = srv.admin.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+build+" WITH (FORCE)")
	}
	db, err := store.Open(ctx, store.Config{URL: srv.urlOf(build), MaxOpenConns: 2})
	if err != nil {
		drop()
		return err
	}
	err = prepare(ctx, db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		drop()
		return err
	}
	if _, err := srv.admin.ExecContext(ctx, "ALTER DATABASE "+build+" RENAME TO "+name); err != nil {
		drop()
		if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database
			return nil
		}
		return err
	}
	_, err = srv.admin.ExecContext(ctx, "ALTER DATABASE "+name+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
	return err
}
