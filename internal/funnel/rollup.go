package funnel

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/schema"
	"github.com/qualify/qualify/internal/txn"
)

// Rollups keeps the rollup (funnel_leads) in step with stage_transitions and
// with the dimensions it copies (owner, team, industry, region). Record is the hook lifecycle
// calls after each StageTransition insert, inside the transaction of the insert.
type Rollups struct {
	svc *Service
}

// Rollups returns the rollup maintainer of the service's database.
func (s *Service) Rollups() *Rollups { return &Rollups{svc: s} }

// NewRollups returns the rollup maintainer for a database of dialectName.
func NewRollups(client *ent.Client, dialectName string) *Rollups {
	return New(client, dialectName).Rollups()
}

// rollupKey is the key under which a transaction's leads wait for their rollup rewrite.
type rollupKey struct{}

// Record has the rollup rows of the transition's lead rewritten through tx (the client of the
// transaction that inserted t), so the rollup commits or rolls back with the transition.
// Rewriting the lead's rows also refreshes its dimensions (owner, team, account industry and
// region) as they are when the transaction commits.
func (r *Rollups) Record(ctx context.Context, tx *ent.Client, t *ent.StageTransition) error {
	return r.touch(ctx, tx, t.LeadID)
}

// touch defers the rewrite of a lead's rollup rows to the end of the transaction of ctx (see
// txn.Defer): every lead the transaction touched is rewritten once, by one upsert in lead order,
// so two transactions lock the rows they share in the same order.
func (r *Rollups) touch(ctx context.Context, tx *ent.Client, leadID int) error {
	return txn.Defer(ctx, tx, rollupKey{}, leadID, r.RecordLeads)
}

// RecordLead rewrites the rollup row of one lead (FunnelLead) through tx.
func (r *Rollups) RecordLead(ctx context.Context, tx *ent.Client, leadID int) error {
	return r.RecordLeads(ctx, tx, []int{leadID})
}

// recordChunk bounds the leads one rewrite names: a user changing team can move thousands of
// leads, and each statement repeats the id list (SQLite allows 32,766 parameters).
const recordChunk = 2000

// RecordLeads is RecordLead for several leads at once, in one statement (per recordChunk
// leads).
func (r *Rollups) RecordLeads(ctx context.Context, tx *ent.Client, leadIDs []int) error {
	for chunk := range slices.Chunk(leadIDs, recordChunk) {
		if err := r.recordLeads(ctx, tx, chunk); err != nil {
			return err
		}
	}
	return nil
}

func (r *Rollups) recordLeads(ctx context.Context, tx *ent.Client, leadIDs []int) error {
	if len(leadIDs) == 0 {
		return nil
	}
	s := r.svc
	set, err := s.stagesOf(ctx, tx)
	if err != nil {
		return err
	}
	ids := slices.Clone(leadIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	in := "%s IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")"
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	n := schema.FunnelLeadSlots
	var set2 []string
	for _, c := range strings.Split(leadColumns(n), ", ")[1:] {
		set2 = append(set2, c+" = excluded."+c)
	}
	q := "INSERT INTO funnel_leads (" + leadColumns(n) + ") " + s.factsSQL(set, in, n) + " ORDER BY 1\nON CONFLICT (id) DO UPDATE SET " + strings.Join(set2, ", ")
	st := &stmt{pg: s.pg()}
	st.add(q, slices.Repeat(args, strings.Count(q, "?")/len(args))...)
	if _, err := tx.ExecContext(ctx, st.String(), st.args...); err != nil {
		return fmt.Errorf("funnel: record leads %v: %w", leadIDs, err)
	}
	return nil
}

// Rebuilding marks the rollup as being rebuilt (by a rebuild in the background, after bulk
// writes) until done is called: meanwhile the funnel answers from the transitions, always
// current, and says so (source TRANSITIONS).
func (r *Rollups) Rebuilding() (done func()) {
	r.svc.rebuilding.Add(1)
	return sync.OnceFunc(func() { r.svc.rebuilding.Add(-1) })
}

// Stale reports a rollup that is empty while transitions exist: the database was filled past
// the rollup (an older binary, a bulk load) and needs a rebuild.
func (r *Rollups) Stale(ctx context.Context) (bool, error) {
	var transitions, reaches bool
	for q, v := range map[string]*bool{
		"SELECT EXISTS (SELECT 1 FROM stage_transitions)": &transitions,
		"SELECT EXISTS (SELECT 1 FROM funnel_leads)":      &reaches,
	} {
		rows, err := r.svc.client.QueryContext(ctx, q)
		if err != nil {
			return false, err
		}
		if rows.Next() {
			err = rows.Scan(v)
		}
		rows.Close()
		if err != nil {
			return false, err
		}
	}
	return transitions && !reaches, nil
}

// rollupTables are the tables of the rollup on PostgreSQL: funnel_leads, and the sample and the
// restays that its row triggers keep.
const rollupTables = "funnel_leads, funnel_sample, funnel_restays"

// RebuildStats reports a rebuild: the rows of each table and how long it took.
type RebuildStats struct {
	Rows     int64 // funnel_leads
	Exits    int64 // of them with exits
	Duration time.Duration
}

// Rebuild recomputes the rollup from the transitions in one transaction: what `qualify funnel
// rebuild` runs after bulk writes such as the seed.
func (r *Rollups) Rebuild(ctx context.Context) (RebuildStats, error) {
	return r.RebuildProgress(ctx, nil)
}

// RebuildProgress is Rebuild reporting each step done (of total) to progress, if not nil.
func (r *Rollups) RebuildProgress(ctx context.Context, progress func(done, total int, step string)) (RebuildStats, error) {
	start := time.Now()
	var stats RebuildStats
	s := r.svc
	total, done := 2, 0
	if s.pg() {
		total++
	}
	step := func(name string) {
		if done++; progress != nil {
			progress(done, total, name)
		}
	}
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		done, stats = 0, RebuildStats{} // a retried transaction starts over
		if s.pg() {
			// Writers that record a lead while the rebuild runs wait for it, so none of their
			// rows is lost under the rebuild's. This lock lets readers on while the rebuild
			// waits for the writers before it (a long import); only the TRUNCATE below, which
			// then waits for the statements already reading, holds new ones back (those of this
			// process read the transitions meanwhile; others answer UNAVAILABLE after
			// statementSettings' lock_timeout).
			if _, err := tx.ExecContext(ctx, "LOCK TABLE funnel_leads IN EXCLUSIVE MODE"); err != nil {
				return err
			}
		}
		// The stage list is read in the transaction: a change during the rebuild differs
		// from the one recorded, so it rebuilds again.
		set, err := s.stagesOf(ctx, tx)
		if err != nil {
			return err
		}
		if err := recordBuilt(ctx, tx, set); err != nil {
			return err
		}
		if progress != nil {
			progress(0, total, "clearing")
		}
		// On PostgreSQL the rows are replaced in new files: deleted, they would have left their
		// pages in the table for every later scan to read (after one rebuild at 1M leads,
		// funnel_leads was 342 MB for 171 MB of rows, and the funnel's statements took 10-70% longer). The
		// sample and the restays are truncated with it, as no row trigger runs. SQLite's scans
		// skip the pages a DELETE frees.
		clear := "DELETE FROM funnel_leads"
		if s.pg() {
			clear = "TRUNCATE " + rollupTables
		}
		if _, err := tx.ExecContext(ctx, clear); err != nil {
			return err
		}
		step("cleared")
		exec := func(n *int64, q string) error {
			res, err := tx.ExecContext(ctx, q)
			if err != nil {
				return err
			}
			*n, _ = res.RowsAffected()
			return nil
		}
		n := schema.FunnelLeadSlots
		if err := exec(&stats.Rows, "INSERT INTO funnel_leads ("+leadColumns(n)+") "+s.factsSQL(set, "%s IS NOT NULL", n)); err != nil {
			return err
		}
		step("leads")
		rows, err := tx.QueryContext(ctx, "SELECT COUNT(*) FROM funnel_leads WHERE exits IS NOT NULL")
		if err != nil {
			return err
		}
		defer rows.Close()
		if rows.Next() {
			if err := rows.Scan(&stats.Exits); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		return stats, fmt.Errorf("funnel: rebuild: %w", err)
	}
	if s.pg() {
		// VACUUM as well: the visibility map spares the first queries from writing hint bits
		// on every page.
		if _, err := s.client.ExecContext(ctx, "VACUUM ANALYZE "+rollupTables); err != nil {
			return stats, fmt.Errorf("funnel: vacuum: %w", err)
		}
		step("vacuum")
	}
	stats.Duration = time.Since(start)
	return stats, nil
}
