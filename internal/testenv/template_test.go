package testenv

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/store"
)

// TestCopiesAreFullyMigrated: a copy of the template is what migrating gives, so migrating it
// again applies no file (the product migrates at every start and must find nothing to do).
func TestCopiesAreFullyMigrated(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  func(t *testing.T) store.Config
	}{
		{"sqlite", func(t *testing.T) store.Config {
			path := filepath.Join(t.TempDir(), "copy.db")
			if err := cloneSQLite(path); err != nil {
				t.Fatal(err)
			}
			return store.Config{SQLitePath: path}
		}},
		{"postgres", func(t *testing.T) store.Config { return store.Config{URL: PostgresURL(t)} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			cfg := c.cfg(t)
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			ctx := context.Background()
			db, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(logs.String(), "migration applied") {
				t.Errorf("a copy of the template was not fully migrated:\n%s", logs.String())
			}
			if n := db.Client.Stage.Query().CountX(ctx); n != len(Stages(t)) {
				t.Errorf("%d stages, want %d", n, len(Stages(t)))
			}
		})
	}
}

// TestPostgresCopiesIsolated: what one test writes, the next test's copy does not hold.
func TestPostgresCopiesIsolated(t *testing.T) {
	ctx := context.Background()
	a, b := Postgres(t), Postgres(t)
	if _, err := a.Client.Account.Create().SetName("only in a").Save(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Client.Account.Query().Count(ctx); err != nil || n != 0 {
		t.Errorf("second database sees %d accounts, %v", n, err)
	}
}

// TestTemplateKeyFollowsContent: the template of each dialect has a name of its own, stable
// within the binary.
func TestTemplateKeyFollowsContent(t *testing.T) {
	s1, err := templateKey("sqlite3")
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := templateKey("sqlite3")
	p, err := templateKey("postgres")
	if err != nil {
		t.Fatal(err)
	}
	if s1 != s2 || s1 == p || len(s1) != 16 {
		t.Errorf("keys sqlite %s / %s, postgres %s", s1, s2, p)
	}
}
