package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect/sql/schema"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	entmigrate "github.com/qualify/qualify/ent/migrate"
	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/ent/user"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// TestGlobalIDRanges proves that a fresh database gives each type ids in its own 1<<32 range,
// as the ent globalid feature (and Relay's Node lookup by id) needs.
func TestGlobalIDRanges(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		acc, err := db.Client.Account.Create().SetName("Acme").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		st, err := db.Client.Stage.Query().Where(stage.Key("lead")).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ld, err := db.Client.Lead.Create().
			SetLastName("Doe").SetSource(lead.SourceWEB_FORM).
			SetStageID(st.ID).SetFurthestStageID(st.ID).
			SetAccount(acc).Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name  string
			id    int
			table *schema.Table
		}{
			{"account", acc.ID, entmigrate.AccountsTable},
			{"lead", ld.ID, entmigrate.LeadsTable},
			{"stage", st.ID, entmigrate.StagesTable},
		}
		for _, c := range cases {
			if got, want := c.id>>32, *c.table.Annotation.IncrementStart>>32; got != want {
				t.Errorf("%s id %d: range %d, want %d", c.name, c.id, got, want)
			}
		}
		if acc.ID>>32 == ld.ID>>32 {
			t.Errorf("account %d and lead %d share an id range", acc.ID, ld.ID)
		}
		// The Relay Node lookup resolves the type from the id range.
		n, err := db.Client.Noder(ctx, ld.ID)
		if err != nil {
			t.Fatalf("Noder(lead): %v", err)
		}
		if _, ok := n.(*ent.Lead); !ok {
			t.Errorf("Noder(%d) = %T, want *ent.Lead", ld.ID, n)
		}
	})
}

// TestIncrementStartsInMigrations checks every table's id start in a freshly migrated
// database against ent's globalid ranges: the identity start on PostgreSQL, the
// sqlite_sequence row on SQLite (none for a start of 0).
func TestIncrementStartsInMigrations(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		db := emptyDB(t, dialect)
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, tbl := range entmigrate.Tables {
			if tbl.Annotation == nil || tbl.Annotation.IncrementStart == nil {
				continue
			}
			want := int64(*tbl.Annotation.IncrementStart)
			var (
				got int64
				err error
			)
			if db.Dialect == "postgres" {
				err = db.SQL.QueryRow(`SELECT s.start_value FROM pg_sequences s
					WHERE s.sequencename = pg_get_serial_sequence($1, 'id')::regclass::text
					   OR s.schemaname || '.' || s.sequencename = pg_get_serial_sequence($1, 'id')`, tbl.Name).Scan(&got)
				if want == 0 {
					want = 1 // an identity starts at 1 at the least
				}
			} else {
				err = db.SQL.QueryRow(`SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0)`, tbl.Name).Scan(&got)
			}
			if err != nil {
				t.Fatalf("%s: %v", tbl.Name, err)
			}
			if got != want {
				t.Errorf("%s: id sequence starts at %d, want %d", tbl.Name, got, want)
			}
		}
	})
}

// TestSQLitePragmas checks that every pooled connection has the pragmas of the DSN.
func TestSQLitePragmas(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, store.Config{SQLitePath: testenv.SQLiteFile(t), MaxOpenConns: 3})
	if db.Dialect != "sqlite3" {
		t.Fatalf("dialect = %q", db.Dialect)
	}
	var conns []interface{ Close() error }
	for i := range 3 {
		conn, err := db.SQL.Conn(ctx) // held open, so each iteration gets another connection
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
		for _, p := range []struct{ pragma, want string }{
			{"foreign_keys", "1"},
			{"journal_mode", "wal"},
			{"busy_timeout", "10000"},
			{"synchronous", "1"},
		} {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+p.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != p.want {
				t.Errorf("connection %d: PRAGMA %s = %s, want %s", i, p.pragma, got, p.want)
			}
		}
	}
	for _, c := range conns {
		c.Close()
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// TestSQLiteTimesUTC checks that times are stored as UTC text SQLite's date functions read.
func TestSQLiteTimesUTC(t *testing.T) {
	ctx := context.Background()
	db := testenv.SQLite(t)
	at := time.Date(2026, 3, 1, 12, 30, 0, 0, time.FixedZone("CET", 3600))
	u, err := db.Client.User.Create().SetName("Ann").SetEmail("ann@example.com").SetRole(user.RoleBDR).
		SetCreatedAt(at).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var raw, julian string
	err = db.SQL.QueryRowContext(ctx, `SELECT created_at || '', datetime(created_at) FROM users WHERE id = ?`, u.ID).Scan(&raw, &julian)
	if err != nil {
		t.Fatal(err)
	}
	if raw != "2026-03-01 11:30:00+00:00" || julian != "2026-03-01 11:30:00" {
		t.Errorf("stored %q (datetime %q), want UTC text", raw, julian)
	}
	got, err := db.Client.User.Get(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(at) {
		t.Errorf("read back %v, want %v", got.CreatedAt, at)
	}
}

func TestOpenPostgres(t *testing.T) {
	ctx := context.Background()
	url := testenv.PostgresURL(t)
	for _, u := range []string{url, "postgresql" + strings.TrimPrefix(url, "postgres")} {
		db := openDB(t, store.Config{URL: u})
		if db.Dialect != "postgres" {
			t.Errorf("dialect = %q", db.Dialect)
		}
		if err := db.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
		if n, err := db.Client.Stage.Query().Count(ctx); err != nil || n == 0 {
			t.Errorf("stages = %d, %v", n, err)
		}
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := db.Ping(ctx); err == nil {
			t.Error("Ping after Close succeeded")
		}
	}
}

func TestOpenRefusesOtherURLs(t *testing.T) {
	for _, u := range []string{"mysql://root:secret@localhost/q", "sqlite://q.db", "q.db"} {
		_, err := store.Open(context.Background(), store.Config{URL: u})
		if err == nil {
			t.Errorf("Open(%q) succeeded", u)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) error shows the password: %v", u, err)
		}
	}
}

func TestSQLiteDSN(t *testing.T) {
	dsn := store.SQLiteDSN("/tmp/q.db")
	for _, want := range []string{"file:/tmp/q.db?", "foreign_keys%281%29", "journal_mode%28WAL%29", "_txlock=immediate"} {
		if !strings.Contains(dsn, want) {
			t.Errorf("DSN %q lacks %q", dsn, want)
		}
	}
}
