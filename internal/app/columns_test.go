package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"entgo.io/ent/dialect"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// A lead read for node or a page selects the columns the query asks for, plus the ones the
// fields served from memory read (stage_id for stage): not every column of the row, whose JSON
// (reasons, BANT, coverage) cost a decode per lead that nobody asked for.
func TestLeadReadsSelectTheAskedColumns(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: 5, Seed: 7, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var stmts []string
		drv := dialect.DebugWithContext(entsql.OpenDB(db.Dialect, db.SQL), func(_ context.Context, args ...any) {
			mu.Lock()
			stmts = append(stmts, strings.ReplaceAll(fmt.Sprint(args...), "`", `"`)) // SQLite quotes with backticks
			mu.Unlock()
		})
		logged := *db
		logged.Client = ent.NewClient(ent.Driver(drv))
		api := apitest.Start(t, &logged)
		id := db.Client.Lead.Query().FirstIDX(ctx)
		for name, q := range map[string]string{
			"node": fmt.Sprintf(`{ node(id: "%d") { ... on Lead { id lastName stage { key } furthestStage { key } } } }`, id),
			"page": `{ leads(first: 5) { edges { node { id lastName stage { key } } } } }`,
		} {
			mu.Lock()
			stmts = nil
			mu.Unlock()
			var out map[string]any
			api.Data(t, q, nil, &out)
			mu.Lock()
			var lead string
			for _, s := range stmts {
				if strings.Contains(s, `FROM "leads"`) && strings.Contains(s, `"leads"."last_name"`) {
					lead = s
				}
			}
			mu.Unlock()
			if lead == "" {
				t.Fatalf("%s: no lead statement among %d: %.2000s", name, len(stmts), strings.Join(stmts, "\n"))
			}
			if !strings.Contains(lead, `"leads"."stage_id"`) {
				t.Errorf("%s: stage_id not selected, but stage reads it: %.300s", name, lead)
			}
			if strings.Contains(lead, `"leads"."reasons"`) || strings.Contains(lead, `"leads"."bant"`) {
				t.Errorf("%s: the lead statement reads columns nobody asked for: %.400s", name, lead)
			}
		}
	})
}
