package seed

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/qualify/qualify/internal/store"
)

// reachColumn is the column of contacts and activities that holds their reach, the owners that
// make them visible (migration "reach_counts_funnel_narrow", internal/authz).
const reachColumn = "reach"

// reachTriggers are the triggers of the migration "reach_counts_funnel_narrow" that keep the reach, by table.
// Row by row they would recompute a contact's reach for every lead written at its account; the
// COPY path turns them off while it writes and fills the column after, in one pass
// (qualify_backfill_reach, the migration's own backfill). Activities are written with their
// reach already (their lead's owner), which the pass then leaves as it is. The counters of
// contacts per reach (the same migration) are off with them and recounted after
// the pass (qualify_backfill_contact_reach_counts).
var reachTriggers = map[string][]string{
	"contacts": {"contacts_reach_insert", "contacts_reach_update", "contacts_reach_changed",
		"contact_reach_counts_insert", "contact_reach_counts_update", "contact_reach_counts_delete"},
	"leads":         {"leads_reach_insert", "leads_reach_update", "leads_reach_delete"},
	"lead_contacts": {"lead_contacts_reach"},
	"activities":    {"activities_reach_insert", "activities_reach_update"},
}

// pauseReach turns the reach triggers off.
func (l copyLoader) pauseReach(ctx context.Context) error {
	return l.reachTriggers(ctx, "DISABLE")
}

// resumeReach fills the reach of the rows written, recounts the contacts per reach, and turns the triggers back on; the triggers
// go back on even when the fill fails, so that later writes keep the reach.
func (l copyLoader) resumeReach(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	err := store.OnPgxConn(ctx, l.pool, func(c *pgx.Conn) error {
		if _, err := c.Exec(ctx, "SELECT public.qualify_backfill_reach()"); err != nil {
			return err
		}
		_, err := c.Exec(ctx, "SELECT public.qualify_backfill_contact_reach_counts()")
		return err
	})
	if err != nil {
		err = fmt.Errorf("seed: fill the reach: %w", err)
	}
	if terr := l.reachTriggers(ctx, "ENABLE"); err == nil {
		err = terr
	}
	return err
}

func (l copyLoader) reachTriggers(ctx context.Context, verb string) error {
	err := store.OnPgxConn(ctx, l.pool, func(c *pgx.Conn) error {
		return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			for table, names := range reachTriggers {
				for _, name := range names {
					q := fmt.Sprintf("ALTER TABLE %s %s TRIGGER %s", pgx.Identifier{table}.Sanitize(), verb, pgx.Identifier{name}.Sanitize())
					if _, err := tx.Exec(ctx, q); err != nil {
						return err
					}
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("seed: %s the reach triggers: %w", verb, err)
	}
	return nil
}
