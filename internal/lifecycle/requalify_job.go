package lifecycle

import (
	"context"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/txn"
)

// Candidate is a stored lead with the input the qualification policy sees of it, for
// simulations and bulk re-qualification.
type Candidate struct {
	ID    int
	Stage string // current stage key
	Input policy.LeadInput
}

// leadFilter applies where (nil: every lead) to q.
func leadFilter(q *ent.LeadQuery, where *ent.LeadWhereInput) (*ent.LeadQuery, error) {
	if where == nil {
		return q, nil
	}
	return where.Filter(q)
}

// CountLeads counts the leads matching where (nil: all).
func (s *Service) CountLeads(ctx context.Context, where *ent.LeadWhereInput) (int, error) {
	q, err := leadFilter(s.client.Lead.Query(), where)
	if err != nil {
		return 0, err
	}
	return q.Count(ctx)
}

// ScanLeads reads the leads matching where (nil: all) by ascending id in batches of size, each
// with its facts (a constant number of queries per batch, as Score does), and calls fn with each
// batch. Only one batch is held at a time. fn must not keep the slice.
func (s *Service) ScanLeads(ctx context.Context, where *ent.LeadWhereInput, size int, fn func([]Candidate) error) error {
	r, err := s.NewFactsReader(ctx)
	if err != nil {
		return err
	}
	return s.PageLeadIDs(ctx, where, size, func(ids []int) error {
		batch, err := r.Load(ctx, ids)
		if err != nil {
			return err
		}
		return fn(batch)
	})
}

// PageLeadIDs calls fn with the ids of the leads matching where (nil: all), ascending, in pages
// of size: an index-only keyset walk, so that loading the pages' facts can run in parallel.
// fn may keep the slice.
func (s *Service) PageLeadIDs(ctx context.Context, where *ent.LeadWhereInput, size int, fn func([]int) error) error {
	after := 0
	for {
		ids, err := s.LeadIDs(ctx, where, after, size)
		if err != nil || len(ids) == 0 {
			return err
		}
		if err := fn(ids); err != nil {
			return err
		}
		after = ids[len(ids)-1]
	}
}

// LeadIDs returns the ids of the leads matching where (nil: all) above after, ascending, at most
// limit of them: the pages of a bulk re-qualification.
func (s *Service) LeadIDs(ctx context.Context, where *ent.LeadWhereInput, after, limit int) ([]int, error) {
	q, err := leadFilter(s.client.Lead.Query(), where)
	if err != nil {
		return nil, err
	}
	return q.Where(lead.IDGT(after)).Order(ent.Asc(lead.FieldID)).Limit(limit).IDs(ctx)
}

// RequalifyLead re-qualifies one lead on the active policy in a transaction of its own, with
// trigger REQUALIFY: it stores the decision and moves the lead when the policy recommends another
// stage and the transition policy allows it. It reports whether the lead moved.
func (s *Service) RequalifyLead(ctx context.Context, id int) (bool, error) {
	moved := false
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		var err error
		moved, err = s.RequalifyLeadTx(ctx, tx, id)
		return err
	})
	return moved, err
}

// RequalifyLeadTx is RequalifyLead in the caller's transaction tx (a batch of a requalify job,
// committed with the job's checkpoint).
func (s *Service) RequalifyLeadTx(ctx context.Context, tx *ent.Client, id int) (bool, error) {
	f, err := s.funnel(ctx, tx)
	if err != nil {
		return false, err
	}
	before, err := tx.Lead.Query().Where(lead.ID(id)).Select(lead.FieldStageID).Int(ctx)
	if err != nil {
		return false, err
	}
	if err := s.qualify(ctx, tx, f, id, stagetransition.TriggerREQUALIFY); err != nil {
		return false, err
	}
	after, err := tx.Lead.Query().Where(lead.ID(id)).Select(lead.FieldStageID).Int(ctx)
	return after != before, err
}
