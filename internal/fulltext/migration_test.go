package fulltext_test

import (
	"context"
	"strings"
	"testing"

	"ariga.io/atlas/sql/migrate"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// Rows written before the migration "search" are found after it: it indexes what is there.
func TestMigrationIndexesExistingRows(t *testing.T) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			cfg := store.Config{SQLitePath: testenv.SQLiteFile(t)}
			if d == "postgres" {
				cfg = store.Config{URL: testenv.EmptyPostgresURL(t)}
			}
			db, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			full, err := store.MigrationDir(db.Dialect)
			if err != nil {
				t.Fatal(err)
			}
			files, err := full.Files()
			if err != nil {
				t.Fatal(err)
			}
			before := &migrate.MemDir{}
			for _, f := range files {
				if strings.HasSuffix(f.Name(), "_search.sql") {
					break
				}
				if err := before.WriteFile(f.Name(), f.Bytes()); err != nil {
					t.Fatal(err)
				}
			}
			sum, err := before.Checksum()
			if err != nil {
				t.Fatal(err)
			}
			if err := migrate.WriteSumFile(before, sum); err != nil {
				t.Fatal(err)
			}
			if err := db.MigrateDir(ctx, before); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Client.Account.Create().SetName("Müller Maschinenbau").SetDomain("mueller.de").Save(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Client.Contact.Create().SetFirstName("Zoë").SetLastName("Brontë").SetEmail("zoe@globex.example").Save(ctx); err != nil {
				t.Fatal(err)
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			api := apitest.Start(t, db)
			var out struct {
				Accounts, Contacts struct{ TotalCount int }
			}
			api.Data(t, `{ accounts(search: "muller mueller.de") { totalCount } contacts(search: "bronte @globex") { totalCount } }`, nil, &out)
			if out.Accounts.TotalCount != 1 || out.Contacts.TotalCount != 1 {
				t.Fatalf("rows from before the migration found: %+v, want one account and one contact", out)
			}
		})
	}
}
