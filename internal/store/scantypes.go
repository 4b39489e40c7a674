package store

import (
	stdsql "database/sql"
	"errors"

	entsql "entgo.io/ent/dialect/sql"
)

// nullSafeTypes hides a SQLite row's column types when one of them is unknown: modernc reports
// no scan type for a NULL value, and ent's scanner panics on that for a selected column that is
// no field of the entity, such as the joined account name an edge order term (ACCOUNT_NAME)
// sorts by. Without types ent scans such a column into an `any`, which holds the NULL.
type nullSafeTypes struct{ entsql.ColumnScanner }

var errNoScanType = errors.New("store: a column has no scan type")

func (r nullSafeTypes) ColumnTypes() ([]*stdsql.ColumnType, error) {
	ct, err := r.ColumnScanner.ColumnTypes()
	if err != nil {
		return nil, err
	}
	for _, c := range ct {
		if c.ScanType() == nil {
			return nil, errNoScanType
		}
	}
	return ct, nil
}

// withNullSafeTypes wraps the rows ent's Query filled in v.
func withNullSafeTypes(v any, err error) error {
	if r, ok := v.(*entsql.Rows); ok && err == nil && r.ColumnScanner != nil {
		r.ColumnScanner = nullSafeTypes{r.ColumnScanner}
	}
	return err
}
