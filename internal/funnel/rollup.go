package funnel

import (
	"context"
	"fmt"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/txn"
)

// Rollups keeps funnel_reaches in step with stage_transitions. Record is the hook lifecycle
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

// RecordLead rewrites the rollup rows of one lead through tx.
func (r *Rollups) RecordLead(ctx context.Context, tx *ent.Client, leadID int) error {
	del := &stmt{pg: r.svc.pg()}
	del.add("DELETE FROM funnel_reaches WHERE lead_id = ?", leadID)
	if _, err := tx.ExecContext(ctx, del.String(), del.args...); err != nil {
		return fmt.Errorf("funnel: record lead %d: %w", leadID, err)
	}
	ins := &stmt{pg: r.svc.pg()}
	ins.add("INSERT INTO funnel_reaches ("+factColumns+") "+r.svc.factsSQL("%s = ?"), leadID, leadID)
	if _, err := tx.ExecContext(ctx, ins.String(), ins.args...); err != nil {
		return fmt.Errorf("funnel: record lead %d: %w", leadID, err)
	}
	return nil
}

// RebuildStats reports a rebuild.
type RebuildStats struct {
	Rows     int64
	Duration time.Duration
}

// Rebuild recomputes the whole rollup from the transitions in one transaction: what
// `qualify funnel rebuild` runs after bulk writes such as the seed.
func (r *Rollups) Rebuild(ctx context.Context) (RebuildStats, error) {
	start := time.Now()
	var stats RebuildStats
	err := txn.Run(ctx, r.svc.client, func(ctx context.Context, tx *ent.Client) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM funnel_reaches"); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO funnel_reaches ("+factColumns+") "+r.svc.factsSQL("%s IS NOT NULL"))
		if err != nil {
			return err
		}
		stats.Rows, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return stats, fmt.Errorf("funnel: rebuild: %w", err)
	}
	if r.svc.pg() {
		if _, err := r.svc.client.ExecContext(ctx, "ANALYZE funnel_reaches"); err != nil {
			return stats, fmt.Errorf("funnel: analyze: %w", err)
		}
	}
	stats.Duration = time.Since(start)
	return stats, nil
}
