package leadimport_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/leadimport"
	"github.com/qualify/qualify/internal/principal"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// An imported row costs at most 7 SQL statements (12.2 before), whatever the batch: the lookups of
// row keys, accounts and contacts are made once per batch, and a new lead is not read back.
func TestImportStatementsPerRow(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		counted, st := apitest.CountStatements(db)
		api := apitest.Start(t, counted)
		ctx := principal.With(context.Background(), principal.System)
		for i := range 5 {
			api.Data(t, `mutation($n: String!, $d: String!) { createAccount(input: {name: $n, domain: $d}) { id } }`,
				map[string]any{"n": fmt.Sprint("Company ", i), "d": fmt.Sprintf("company%d.example", i)}, &struct{}{})
		}
		const rows = 100
		var sb strings.Builder
		sb.WriteString("id;first name;last name;email;company;country;source\n")
		for i := range rows {
			fmt.Fprintf(&sb, "r%d;Ann%d;Lee;ann.%d@company%d.example;Company %d;DE;directory\n", i, i, i, i%10, i%10)
		}
		imp := leadimport.New(counted.Client, api.App.Lifecycle) // no job engine: worked in this context
		st.Take()
		run, err := imp.Import(st.Mark(ctx), []byte(sb.String()), leadimport.Options{})
		if err != nil {
			t.Fatal(err)
		}
		stmts := st.Take()
		if run.Created != rows {
			t.Fatalf("%d created of %d", run.Created, rows)
		}
		per := float64(len(stmts)) / rows
		t.Logf("%s: %d statements for %d rows: %.1f per row", db.Dialect, len(stmts), rows, per)
		if per > 7 || testing.Verbose() {
			kinds := map[string]int{}
			for _, s := range stmts {
				kinds[strings.Join(strings.Fields(s), " ")[:min(70, len(strings.Join(strings.Fields(s), " ")))]]++
			}
			var keys []string
			for k := range kinds {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool { return kinds[keys[i]] > kinds[keys[j]] })
			for _, k := range keys {
				t.Logf("  %5d %s", kinds[k], k)
			}
		}
		if per > 7 {
			t.Errorf("%.1f statements per imported row, want <= 7", per)
		}
	})
}
