package lifecycle

import (
	"context"
	"fmt"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/activity"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/project"
	"github.com/qualify/qualify/internal/txn"
)

// scoreBatch is how many leads Score loads, decides and writes per transaction.
const scoreBatch = 500

// Score evaluates the qualification policy for every stored lead and stores scores, grade,
// temperature and reasons, without moving any lead: imported or seeded histories stay as they
// are. Leads are read in batches with their facts eager-loaded (a constant number of queries per
// batch). progress, if set, is called after each batch.
func (s *Service) Score(ctx context.Context, progress func(done, total int)) (int, error) {
	total, err := s.client.Lead.Query().Count(ctx)
	if err != nil {
		return 0, err
	}
	done, after := 0, 0
	for {
		now := s.now()
		leads, err := s.client.Lead.Query().Where(lead.IDGT(after)).Order(ent.Asc(lead.FieldID)).Limit(scoreBatch).
			WithStage().
			WithAccount(func(q *ent.AccountQuery) {
				q.WithContacts().WithProjects(func(pq *ent.ProjectQuery) { pq.Where(project.StatusNEQ(project.StatusDONE)) })
			}).
			WithContacts().
			WithActivities(func(q *ent.ActivityQuery) { q.Where(activity.OccurredAtGTE(now.Add(-activityWindow))) }).
			All(ctx)
		if err != nil || len(leads) == 0 {
			return done, err
		}
		err = txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
			for _, l := range leads {
				d, meta, err := s.decider.DecideLead(ctx, leadInput(l, now))
				if err != nil {
					return fmt.Errorf("score lead %d: %w", l.ID, err)
				}
				upd := tx.Lead.UpdateOneID(l.ID)
				setDecision(upd.Mutation(), d, meta, now)
				if err := upd.Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return done, err
		}
		done += len(leads)
		after = leads[len(leads)-1].ID
		if progress != nil {
			progress(done, total)
		}
	}
}
