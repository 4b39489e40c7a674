package seed

import (
	"context"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/qualify/qualify/ent/migrate"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

func TestRowsStayUnderTheBindLimit(t *testing.T) {
	leadCols := len(migrate.LeadsColumns)
	tests := []struct {
		name               string
		dialect            string
		batch, cols, links int
		want               int
	}{
		{"sqlite leads", dialect.SQLite, 0, leadCols, maxLinks, 32766 / leadCols},
		{"postgres leads", dialect.Postgres, 0, leadCols, maxLinks, 65535 / leadCols},
		{"links bound narrow rows", dialect.SQLite, 0, 2, maxLinks, 32766 / 6},
		{"batch size caps", dialect.Postgres, 100, leadCols, maxLinks, 100},
		{"batch size above the limit is clamped", dialect.SQLite, 1 << 20, 8, 0, 32766 / 8},
		{"unknown dialect is conservative", "gremlin", 0, 10, 0, 99},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &writer{limit: paramLimit(tt.dialect), batch: tt.batch}
			got := w.rows(tt.cols, tt.links)
			if got != tt.want {
				t.Errorf("rows = %d, want %d", got, tt.want)
			}
			if got*tt.cols > w.limit || got*2*tt.links > w.limit {
				t.Errorf("%d rows of %d columns and %d links exceed %d parameters", got, tt.cols, tt.links, w.limit)
			}
		})
	}
}

func TestLoadStagesNotesTheDialect(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		stages, dia, err := loadStages(context.Background(), db.Client)
		if err != nil {
			t.Fatal(err)
		}
		if dia != db.Dialect {
			t.Errorf("dialect = %q, want %q", dia, db.Dialect)
		}
		for i, s := range stages {
			if s.id == 0 {
				t.Errorf("stage %s not found", stageKeys[i])
			}
		}
		if !stages[stCustomer].funnel() || stages[stNurture].funnel() || stages[stDisq].funnel() {
			t.Errorf("customer must count as progress, nurture and disqualified not: %+v", stages)
		}
	})
}
