package authz_test

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/store"
)

// checkReach compares the reach the triggers keep on every contact and activity with the reach
// computed in Go from the rows themselves: a contact reaches the owners (0: none) of the leads
// linked to it and of the leads at its account; an activity its lead's owner, or without a
// lead its contact's reach. The visibility checks see only what the test's two callers see;
// this sees every owner, so an owner a contact should have lost (or never gained) shows here.
func checkReach(t *testing.T, db *store.DB, stage string) {
	t.Helper()
	ctx := context.Background()
	query := func(q string, each func(*sql.Rows) error) {
		t.Helper()
		rows, err := db.SQL.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				t.Fatal(err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	leadOwner, byAccount := map[int64]int64{}, map[int64][]int64{}
	query(`SELECT id, coalesce(owner_id, 0), account_id FROM leads`, func(r *sql.Rows) error {
		var id, owner int64
		var account sql.NullInt64
		if err := r.Scan(&id, &owner, &account); err != nil {
			return err
		}
		leadOwner[id] = owner
		if account.Valid {
			byAccount[account.Int64] = append(byAccount[account.Int64], owner)
		}
		return nil
	})
	linked := map[int64][]int64{}
	query(`SELECT contact_id, lead_id FROM lead_contacts`, func(r *sql.Rows) error {
		var c, l int64
		if err := r.Scan(&c, &l); err != nil {
			return err
		}
		linked[c] = append(linked[c], leadOwner[l])
		return nil
	})
	want := map[int64][]int64{}
	query(`SELECT id, account_id, CAST(reach AS TEXT) FROM contacts`, func(r *sql.Rows) error {
		var id int64
		var account sql.NullInt64
		var stored string
		if err := r.Scan(&id, &account, &stored); err != nil {
			return err
		}
		owners := slices.Clone(linked[id])
		if account.Valid {
			owners = append(owners, byAccount[account.Int64]...)
		}
		slices.Sort(owners)
		owners = slices.Compact(owners)
		want[id] = owners
		if got := parseReach(t, stored); !slices.Equal(got, owners) {
			t.Errorf("%s: contact %d reach %v, want %v", stage, id, got, owners)
		}
		return nil
	})
	query(`SELECT id, lead_id, contact_id, CAST(reach AS TEXT) FROM activities`, func(r *sql.Rows) error {
		var id int64
		var lead, contact sql.NullInt64
		var stored string
		if err := r.Scan(&id, &lead, &contact, &stored); err != nil {
			return err
		}
		owners := []int64{}
		switch {
		case lead.Valid:
			owners = []int64{leadOwner[lead.Int64]}
		case contact.Valid:
			owners = want[contact.Int64]
		}
		if got := parseReach(t, stored); !slices.Equal(got, owners) && !(len(got) == 0 && len(owners) == 0) {
			t.Errorf("%s: activity %d reach %v, want %v", stage, id, got, owners)
		}
		return nil
	})
}

// parseReach reads a reach as PostgreSQL ({1,2}) or SQLite ([1,2]) writes it.
func parseReach(t *testing.T, s string) []int64 {
	t.Helper()
	s = strings.Trim(s, "{}[]")
	var out []int64
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatalf("reach %q: %v", s, err)
		}
		out = append(out, n)
	}
	return out
}
