//go:build ignore

// Command gen writes a new versioned migration (atlas format) for each dialect when ent/schema
// differs from what the committed migrations build. Run from the repository root:
//
//	go run -mod=mod ./internal/store/migrations/gen.go [-dialect all|sqlite|postgres] <name>
//
// The current state is computed by replaying the directory on a dev database: an in-memory
// SQLite, and for PostgreSQL the database of DEV_DATABASE_URL, or else a scratch database
// created on postgres://postgres@127.0.0.1:5432 and dropped afterwards. No schema change, no file.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	entmigrate "github.com/qualify/qualify/ent/migrate"
	"github.com/qualify/qualify/internal/store"
)

const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func main() {
	log.SetFlags(0)
	only := flag.String("dialect", "all", "all, sqlite or postgres")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: go run -mod=mod ./internal/store/migrations/gen.go [-dialect all|sqlite|postgres] <name>")
	}
	name := flag.Arg(0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root, err := migrationsDir()
	if err != nil {
		log.Fatal(err)
	}
	gens := []struct {
		dialect string
		dev     func(context.Context) (*sql.DB, func(), error)
	}{
		{dialect.SQLite, sqliteDev},
		{dialect.Postgres, postgresDev},
	}
	for _, g := range gens {
		if *only != "all" && *only != dirName(g.dialect) {
			continue
		}
		if err := generate(ctx, filepath.Join(root, dirName(g.dialect)), g.dialect, name, g.dev); err != nil {
			log.Fatalf("%s: %v", dirName(g.dialect), err)
		}
	}
}

func dirName(d string) string {
	if d == dialect.SQLite {
		return "sqlite"
	}
	return d
}

// migrationsDir finds internal/store/migrations by walking up from the working directory to go.mod.
func migrationsDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "internal", "store", "migrations"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

func generate(ctx context.Context, path, dia, name string, dev func(context.Context) (*sql.DB, func(), error)) error {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return err
	}
	dir, err := migrate.NewLocalDir(path)
	if err != nil {
		return err
	}
	before, err := dir.Files()
	if err != nil {
		return err
	}
	db, done, err := dev(ctx)
	if err != nil {
		return fmt.Errorf("dev database: %w", err)
	}
	defer done()
	m, err := schema.NewMigrate(entsql.OpenDB(dia, db),
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(dia),
		schema.WithFormatter(migrate.DefaultFormatter),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
		schema.WithDiffHook(store.KeepHandWritten),
	)
	if err != nil {
		return err
	}
	if err := m.NamedDiff(ctx, name, entmigrate.Tables...); err != nil {
		return fmt.Errorf("diff: %w", err)
	}
	after, err := dir.Files()
	if err != nil {
		return err
	}
	if len(after) == len(before) {
		log.Printf("%s: no schema change, no new migration", dirName(dia))
		return nil
	}
	if err := fixUp(dir, after[len(before):]); err != nil {
		return err
	}
	for _, f := range after[len(before):] {
		log.Printf("%s: wrote %s", dirName(dia), filepath.Join(path, f.Name()))
	}
	return nil
}

// seqInsert matches what atlas writes to give an SQLite AUTOINCREMENT table its id range:
// INSERT INTO sqlite_sequence (name, seq) VALUES ("leads", 12884901888). The double-quoted
// name only works through SQLite's double-quoted-string misfeature (an identifier that is not
// a column falls back to a string); builds without it (SQLITE_DQS=0) fail. Single quotes are
// a string literal everywhere.
var seqInsert = regexp.MustCompile(`(INSERT INTO sqlite_sequence \(name, seq\) VALUES \()"([A-Za-z0-9_]+)"(, [0-9]+\))`)

// fixUp rewrites the new files where needed and updates atlas.sum.
func fixUp(dir *migrate.LocalDir, files []migrate.File) error {
	changed := false
	for _, f := range files {
		b := seqInsert.ReplaceAll(f.Bytes(), []byte("$1'$2'$3"))
		if !bytes.Equal(b, f.Bytes()) {
			if err := dir.WriteFile(f.Name(), b); err != nil {
				return err
			}
			changed = true
		}
	}
	if !changed {
		return nil
	}
	sum, err := dir.Checksum()
	if err != nil {
		return err
	}
	return migrate.WriteSumFile(dir, sum)
}

func sqliteDev(context.Context) (*sql.DB, func(), error) {
	db, err := sql.Open("sqlite", "file:dev?mode=memory&_pragma=foreign_keys(1)")
	if err != nil {
		return nil, nil, err
	}
	// One connection: every pooled connection of an in-memory database is a database of its own.
	db.SetMaxOpenConns(1)
	return db, func() { db.Close() }, nil
}

func postgresDev(ctx context.Context) (*sql.DB, func(), error) {
	if u := os.Getenv("DEV_DATABASE_URL"); u != "" {
		db, err := sql.Open("pgx", u)
		if err != nil {
			return nil, nil, err
		}
		return db, func() { db.Close() }, db.PingContext(ctx)
	}
	admin, err := sql.Open("pgx", defaultAdminURL)
	if err != nil {
		return nil, nil, err
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "qualify_dev_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return nil, nil, fmt.Errorf("create scratch database on %s (set DEV_DATABASE_URL to use another): %w", defaultAdminURL, err)
	}
	u, _ := url.Parse(defaultAdminURL)
	u.Path = "/" + name
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		admin.Close()
		return nil, nil, err
	}
	drop := func() {
		db.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			log.Printf("drop scratch database %s: %v", name, err)
		}
		admin.Close()
	}
	return db, drop, nil
}
