package leadimport_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/principal"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// A file longer than a batch (the import commits rows in batches, each row in a savepoint):
// bad rows are refused alone, a row repeating a key of its own batch or of an earlier one is
// matched, every other row creates one lead qualified with trigger IMPORT, and the counts are
// exact; the same file again creates nothing.
func TestImportAcrossBatches(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		ctx := principal.With(context.Background(), principal.System)
		const rows = 450
		raw, want := batchFile(rows)
		first := uploadCSV(t, api, "batches.csv", raw, false)
		if got(first) != want || first.Total != rows {
			t.Fatalf("import %+v of %d rows, want %+v", got(first), first.Total, want)
		}
		if n := strings.Count(first.ErrorCsv, "\n"); n != want.refused+1 {
			t.Errorf("error report of %d lines:\n%s", n, first.ErrorCsv)
		}
		leads, err := db.Client.Lead.Query().Where(lead.IdempotencyKeyHasPrefix("key:b")).WithTransitions().All(ctx)
		if err != nil || len(leads) != want.created {
			t.Fatalf("%d leads (%v), want %d", len(leads), err, want.created)
		}
		for _, l := range leads {
			if l.PolicyHash == nil || l.QualifiedAt == nil || len(l.Edges.Transitions) == 0 {
				t.Fatalf("lead %d not qualified: %v %v %d transitions", l.ID, l.PolicyHash, l.QualifiedAt, len(l.Edges.Transitions))
			}
			for _, tr := range l.Edges.Transitions {
				if tr.Trigger != stagetransition.TriggerIMPORT {
					t.Errorf("lead %d: transition with trigger %s", l.ID, tr.Trigger)
				}
			}
		}
		second := uploadCSV(t, api, "batches.csv", raw, false)
		if g := got(second); g != (counts{0, want.created + want.matched, want.refused}) {
			t.Errorf("second import %+v, want nothing created", g)
		}
		if n, _ := db.Client.Lead.Query().Count(ctx); n != want.created {
			t.Errorf("%d leads after the second import, want %d", n, want.created)
		}
	})
}

// batchFile is a CSV of n rows over several batches: every 50th row has a bad email (refused),
// every 100th+13 repeats the key of the row before (matched in its batch), row 305 a key of the
// first batch (matched); the rest create a lead each. It returns the counts an import gives.
func batchFile(n int) ([]byte, counts) {
	var sb strings.Builder
	sb.WriteString("key,last name,email,source\n")
	var want counts
	for i := range n {
		key, email := fmt.Sprint("b", i), fmt.Sprintf("b%d@co%d.example", i, i%7)
		switch {
		case i%50 == 7:
			email = "not-an-email"
			want.refused++
		case i%100 == 13:
			key, email = fmt.Sprint("b", i-1), fmt.Sprintf("b%d@co%d.example", i-1, (i-1)%7)
			want.matched++
		case i == 305:
			key, email = "b10", "b10@co3.example"
			want.matched++
		default:
			want.created++
		}
		fmt.Fprintf(&sb, "%s,Lee,%s,directory\n", key, email)
	}
	return []byte(sb.String()), want
}
