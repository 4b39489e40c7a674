package funnel

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/txn"
)

// Rollups keeps the ledger (funnel_reaches, funnel_exits) and the aggregate (funnel_counts,
// funnel_sketches) in step with stage_transitions. Record is the hook lifecycle
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

// Record rewrites the rollup rows of the transition's lead from its transitions, through tx
// (the client of the transaction that inserted t), so the rollup commits or rolls back with
// the transition. Rewriting the lead's rows also refreshes its dimensions (owner, team,
// account industry and region) as they are when the transition lands.
func (r *Rollups) Record(ctx context.Context, tx *ent.Client, t *ent.StageTransition) error {
	return r.RecordLead(ctx, tx, t.LeadID)
}

// RecordLead rewrites the ledger rows of one lead (FunnelReach, FunnelExit) through tx, and
// moves the lead's contribution in the aggregate from its old rows to its new ones.
func (r *Rollups) RecordLead(ctx context.Context, tx *ent.Client, leadID int) error {
	s := r.svc
	counts := s.deltaWith(leadID)
	counts.add(s.countsSQL("lr", "le", aggDims))
	sketches := s.deltaWith(leadID)
	sketches.add(sketchesSQL("("+s.sketchRowsSQL("lr")+")", aggDims))
	stmts := []*stmt{counts, sketches}
	for _, q := range []string{
		"DELETE FROM funnel_reaches WHERE lead_id = ?",
		"DELETE FROM funnel_exits WHERE lead_id = ?",
		"INSERT INTO funnel_reaches (" + factColumns + ") " + s.factsSQL("%s = ?"),
		"INSERT INTO funnel_exits (lead_id, stage_id, reason_code) " + exitsSQL("%s = ?"),
	} {
		st := &stmt{pg: s.pg()}
		st.add(q, slices.Repeat([]any{leadID}, strings.Count(q, "?"))...)
		stmts = append(stmts, st)
	}
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st.String(), st.args...); err != nil {
			return fmt.Errorf("funnel: record lead %d: %w", leadID, err)
		}
	}
	return nil
}

// RebuildStats reports a rebuild: the rows of each table and how long it took.
type RebuildStats struct {
	Rows     int64 // funnel_reaches
	Exits    int64
	Counts   int64
	Sketches int64
	Duration time.Duration
}

// Rebuild recomputes the ledger and the aggregate from the transitions in one transaction:
// what `qualify funnel rebuild` runs after bulk writes such as the seed.
func (r *Rollups) Rebuild(ctx context.Context) (RebuildStats, error) {
	return r.RebuildProgress(ctx, nil)
}

// RebuildProgress is Rebuild reporting each step done (of total) to progress, if not nil.
func (r *Rollups) RebuildProgress(ctx context.Context, progress func(done, total int, step string)) (RebuildStats, error) {
	start := time.Now()
	var stats RebuildStats
	s := r.svc
	total, done := 4+len(aggDims), 0
	if s.pg() {
		total++
	}
	step := func(name string) {
		if done++; progress != nil {
			progress(done, total, name)
		}
	}
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		done = 0 // a retried transaction starts over
		if progress != nil {
			progress(0, total, "clearing")
		}
		for _, t := range []string{"funnel_counts", "funnel_sketches", "funnel_exits", "funnel_reaches"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+t); err != nil {
				return err
			}
		}
		exec := func(n *int64, q string) error {
			res, err := tx.ExecContext(ctx, q)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			*n += k
			return nil
		}
		step("cleared")
		if err := exec(&stats.Rows, "INSERT INTO funnel_reaches ("+factColumns+") "+s.factsSQL("%s IS NOT NULL")); err != nil {
			return err
		}
		step("reaches")
		if err := exec(&stats.Exits, "INSERT INTO funnel_exits (lead_id, stage_id, reason_code) "+exitsSQL("%s IS NOT NULL")); err != nil {
			return err
		}
		step("exits")
		lr := "(SELECT " + ledgerCols + ", 1 AS sg FROM funnel_reaches)"
		le := "(SELECT lead_id, stage_id, reason_code, 1 AS sg FROM funnel_exits)"
		// The histogram entries come from self-joins of the ledger: join once into a scratch
		// table, then aggregate it one dimension per statement (each GROUP BY a sixth of the
		// size). The transaction's single connection sees its TEMP table.
		if _, err := tx.ExecContext(ctx, "CREATE TEMP TABLE funnel_sketch_rows AS "+s.sketchRowsSQL(lr)); err != nil {
			return err
		}
		step("pairs")
		for _, d := range aggDims {
			if err := exec(&stats.Counts, s.countsSQL(lr, le, []Dimension{d})); err != nil {
				return err
			}
			if err := exec(&stats.Sketches, sketchesSQL("funnel_sketch_rows", []Dimension{d})); err != nil {
				return err
			}
			step("by " + string(d))
		}
		_, err := tx.ExecContext(ctx, "DROP TABLE funnel_sketch_rows")
		return err
	})
	if err != nil {
		return stats, fmt.Errorf("funnel: rebuild: %w", err)
	}
	if s.pg() {
		// VACUUM as well: the deleted rows' space is reused by the next rebuild, and the
		// visibility map spares the first queries from writing hint bits on every page.
		if _, err := s.client.ExecContext(ctx, "VACUUM ANALYZE funnel_reaches, funnel_exits, funnel_counts, funnel_sketches"); err != nil {
			return stats, fmt.Errorf("funnel: vacuum: %w", err)
		}
		step("vacuum")
	}
	stats.Duration = time.Since(start)
	return stats, nil
}
