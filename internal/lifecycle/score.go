package lifecycle

import (
	"context"
	"fmt"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/decisionlog"
	"github.com/qualify/qualify/internal/txn"
)

// scoreBatch is how many leads Score loads, decides and writes per transaction.
const scoreBatch = 500

// Score evaluates the qualification policy for every stored lead and stores scores, grade,
// temperature and reasons, without moving any lead: imported or seeded histories stay as they
// are. Leads are read in batches with their facts eager-loaded (ScanLeads). progress, if set, is
// called after each batch.
func (s *Service) Score(ctx context.Context, progress func(done, total int)) (int, error) {
	total, err := s.client.Lead.Query().Count(ctx)
	if err != nil {
		return 0, err
	}
	done := 0
	err = s.ScanLeads(ctx, nil, scoreBatch, func(batch []Candidate) error {
		now := s.now()
		err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
			logged := make([]decisionlog.Entry, 0, len(batch))
			for _, c := range batch {
				start := time.Now()
				d, meta, err := s.decider.DecideLead(ctx, c.Input)
				if err != nil {
					return fmt.Errorf("score lead %d: %w", c.ID, err)
				}
				logged = append(logged, decisionlog.Entry{Kind: decisionlog.Lead, LeadID: c.ID, Meta: meta,
					Input: c.Input, Result: d, Latency: time.Since(start), Trigger: "score"})
				upd := tx.Lead.UpdateOneID(c.ID)
				setDecision(upd.Mutation(), d, meta, now)
				// Escalations are not read here (a batch stays a constant number of statements): a
				// review that finds an SLA already escalated only moves the date on.
				sd, _, err := s.decider.DecideSchedule(ctx, scheduleInput(reviewState{in: c.Input, qualifiedAt: &now}, now, nil))
				if err != nil {
					return fmt.Errorf("schedule lead %d: %w", c.ID, err)
				}
				setNextReview(upd.Mutation(), sd)
				if err := upd.Exec(ctx); err != nil {
					return err
				}
			}
			return decisionlog.WriteAll(ctx, tx, logged)
		})
		if err != nil {
			return err
		}
		done += len(batch)
		if progress != nil {
			progress(done, total)
		}
		return nil
	})
	return done, err
}
