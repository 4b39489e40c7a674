package lifecycle

import (
	"context"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/account"
	"github.com/qualify/qualify/ent/activity"
	"github.com/qualify/qualify/ent/contact"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/project"
	"github.com/qualify/qualify/ent/stage"
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

// FactsReader loads the qualification inputs of leads in bulk, all at one moment. It is safe for
// concurrent use.
type FactsReader struct {
	client *ent.Client
	now    string
	cutoff time.Time
	stages map[int]string // stage id → key, read once instead of a query per batch
}

// NewFactsReader returns a reader whose inputs say now is the time of this call.
func (s *Service) NewFactsReader(ctx context.Context) (*FactsReader, error) {
	stages, err := s.client.Stage.Query().Select(stage.FieldID, stage.FieldKey).All(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	r := &FactsReader{client: s.client, now: rfc3339(now), cutoff: now.Add(-activityWindow), stages: make(map[int]string, len(stages))}
	for _, st := range stages {
		r.stages[st.ID] = st.Key
	}
	return r, nil
}

// Load reads the leads with the given ids (ascending) and their facts in six queries, selecting
// only the columns the policy sees (the rest, JSON columns above all, cost more to decode than
// the decisions they are not used in), and returns them in id order. Ids not found are skipped.
func (r *FactsReader) Load(ctx context.Context, ids []int) ([]Candidate, error) {
	leads, err := r.client.Lead.Query().Where(lead.IDIn(ids...)).Order(ent.Asc(lead.FieldID)).
		Select(lead.FieldStageID, lead.FieldSource, lead.FieldBudget, lead.FieldBudgetAmount, lead.FieldAuthority,
			lead.FieldNeed, lead.FieldTiming, lead.FieldTimingDate, lead.FieldEstimatedValue, lead.FieldCountry,
			lead.FieldCreatedAt, lead.FieldStageEnteredAt).
		WithAccount(func(q *ent.AccountQuery) {
			q.Select(account.FieldDomain, account.FieldIndustry, account.FieldEmployeeCount, account.FieldAnnualRevenue,
				account.FieldCountry, account.FieldRegion).
				WithContacts(func(q *ent.ContactQuery) { q.Select(contact.FieldBuyingRole, contact.FieldSeniority) }).
				WithProjects(func(q *ent.ProjectQuery) {
					q.Where(project.StatusNEQ(project.StatusDONE)).Select(project.FieldStatus)
				})
		}).
		WithContacts(func(q *ent.ContactQuery) { q.Select(contact.FieldBuyingRole, contact.FieldSeniority) }).
		WithActivities(func(q *ent.ActivityQuery) {
			q.Where(activity.OccurredAtGTE(r.cutoff)).Order(ent.Desc(activity.FieldOccurredAt)).
				Select(activity.FieldKind, activity.FieldOccurredAt)
		}).
		All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Candidate, len(leads))
	for i, l := range leads {
		// The same cap as a single lead's qualification, so a simulation sees what it would.
		if len(l.Edges.Activities) > maxActivities {
			l.Edges.Activities = l.Edges.Activities[:maxActivities]
		}
		key := r.stages[l.StageID]
		out[i] = Candidate{ID: l.ID, Stage: key, Input: leadInputAt(l, key, r.now)}
	}
	return out, nil
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
		f, err := loadFunnel(ctx, tx)
		if err != nil {
			return err
		}
		before, err := tx.Lead.Query().Where(lead.ID(id)).Select(lead.FieldStageID).Int(ctx)
		if err != nil {
			return err
		}
		if err := s.qualify(ctx, tx, f, id, stagetransition.TriggerREQUALIFY); err != nil {
			return err
		}
		after, err := tx.Lead.Query().Where(lead.ID(id)).Select(lead.FieldStageID).Int(ctx)
		moved = after != before
		return err
	})
	return moved, err
}
