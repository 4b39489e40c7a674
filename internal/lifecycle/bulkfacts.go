package lifecycle

import (
	"context"
	stdsql "database/sql"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/account"
	"github.com/qualify/qualify/ent/activity"
	"github.com/qualify/qualify/ent/contact"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/project"
	"github.com/qualify/qualify/ent/stage"
)

// FactsReader loads the qualification inputs of leads in bulk, all at one moment. It is safe for
// concurrent use.
//
// It reads with plain SQL rather than ent's eager loading: six queries per batch selecting only
// the columns the policy sees, scanned straight into the entity structs that leadInputAt
// converts (so a single lead's qualification and a bulk read cannot drift apart). That halves
// the reading cost of a simulation, where ent's generic row handling cost as much as the
// database's own work.
type FactsReader struct {
	client  *ent.Client
	dialect string
	now     string
	cutoff  time.Time
	stages  map[int]string // stage id → key, read once instead of a query per batch
}

// NewFactsReader returns a reader whose inputs say now is the time of this call.
func (s *Service) NewFactsReader(ctx context.Context) (*FactsReader, error) {
	r := &FactsReader{client: s.client}
	stages, err := s.client.Stage.Query().
		Where(func(sel *sql.Selector) { r.dialect = sel.Dialect() }). // the client does not say otherwise
		Select(stage.FieldID, stage.FieldKey).All(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	r.now, r.cutoff, r.stages = rfc3339(now), now.Add(-activityWindow), make(map[int]string, len(stages))
	for _, st := range stages {
		r.stages[st.ID] = st.Key
	}
	return r, nil
}

// Load reads the leads with the given ids and their facts, and returns them in id order. Ids not
// found are skipped.
func (r *FactsReader) Load(ctx context.Context, ids []int) ([]Candidate, error) {
	b := sql.Dialect(r.dialect)
	leads := make([]*ent.Lead, 0, len(ids))
	byID := make(map[int]*ent.Lead, len(ids))
	accounts := map[int]*ent.Account{}
	t := b.Table(lead.Table)
	err := r.each(ctx, b.Select(t.C(lead.FieldID), t.C(lead.FieldStageID), t.C(lead.FieldAccountID), t.C(lead.FieldSource),
		t.C(lead.FieldBudget), t.C(lead.FieldBudgetAmount), t.C(lead.FieldAuthority), t.C(lead.FieldNeed), t.C(lead.FieldTiming),
		t.C(lead.FieldTimingDate), t.C(lead.FieldEstimatedValue), t.C(lead.FieldCountry), t.C(lead.FieldCreatedAt),
		t.C(lead.FieldStageEnteredAt)).
		From(t).Where(sql.InInts(t.C(lead.FieldID), ids...)).OrderBy(t.C(lead.FieldID)),
		func(rows *stdsql.Rows) error {
			l := &ent.Lead{}
			err := rows.Scan(&l.ID, &l.StageID, &l.AccountID, &l.Source, &l.Budget, &l.BudgetAmount, &l.Authority, &l.Need,
				&l.Timing, &l.TimingDate, &l.EstimatedValue, &l.Country, &l.CreatedAt, &l.StageEnteredAt)
			l.Edges.Contacts, l.Edges.Activities = []*ent.Contact{}, []*ent.Activity{}
			leads, byID[l.ID] = append(leads, l), l
			if l.AccountID != nil {
				accounts[*l.AccountID] = nil
			}
			return err
		})
	if err != nil || len(leads) == 0 {
		return nil, err
	}
	if err := r.leadEdges(ctx, b, ids, byID); err != nil {
		return nil, err
	}
	if err := r.accounts(ctx, b, accounts); err != nil {
		return nil, err
	}
	out := make([]Candidate, len(leads))
	for i, l := range leads {
		if l.AccountID != nil {
			l.Edges.Account = accounts[*l.AccountID]
		}
		// The same cap as a single lead's qualification, so a simulation sees what it would.
		if len(l.Edges.Activities) > maxActivities {
			l.Edges.Activities = l.Edges.Activities[:maxActivities]
		}
		key := r.stages[l.StageID]
		out[i] = Candidate{ID: l.ID, Stage: key, Input: leadInputAt(l, key, r.now)}
	}
	return out, nil
}

// leadEdges reads the leads' own contacts and their activities in the window, newest first.
func (r *FactsReader) leadEdges(ctx context.Context, b *sql.DialectBuilder, ids []int, byID map[int]*ent.Lead) error {
	lc, c := b.Table(lead.ContactsTable).As("lc"), b.Table(contact.Table).As("c")
	err := r.each(ctx, b.Select(lc.C(lead.ContactsPrimaryKey[0]), c.C(contact.FieldID), c.C(contact.FieldBuyingRole), c.C(contact.FieldSeniority)).
		From(lc).Join(c).On(lc.C(lead.ContactsPrimaryKey[1]), c.C(contact.FieldID)).
		Where(sql.InInts(lc.C(lead.ContactsPrimaryKey[0]), ids...)),
		func(rows *stdsql.Rows) error {
			var leadID int
			ct := &ent.Contact{}
			if err := rows.Scan(&leadID, &ct.ID, &ct.BuyingRole, &ct.Seniority); err != nil {
				return err
			}
			if l := byID[leadID]; l != nil {
				l.Edges.Contacts = append(l.Edges.Contacts, ct)
			}
			return nil
		})
	if err != nil {
		return err
	}
	a := b.Table(activity.Table)
	return r.each(ctx, b.Select(a.C(activity.FieldLeadID), a.C(activity.FieldKind), a.C(activity.FieldOccurredAt)).
		From(a).Where(sql.And(sql.InInts(a.C(activity.FieldLeadID), ids...), sql.GTE(a.C(activity.FieldOccurredAt), r.cutoff))).
		OrderBy(a.C(activity.FieldLeadID), sql.Desc(a.C(activity.FieldOccurredAt))),
		func(rows *stdsql.Rows) error {
			var leadID int
			act := &ent.Activity{}
			if err := rows.Scan(&leadID, &act.Kind, &act.OccurredAt); err != nil {
				return err
			}
			if l := byID[leadID]; l != nil {
				l.Edges.Activities = append(l.Edges.Activities, act)
			}
			return nil
		})
}

// accounts fills the map's accounts (keyed by id) with their contacts and open projects.
func (r *FactsReader) accounts(ctx context.Context, b *sql.DialectBuilder, byID map[int]*ent.Account) error {
	if len(byID) == 0 {
		return nil
	}
	ids := make([]int, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	t := b.Table(account.Table)
	err := r.each(ctx, b.Select(t.C(account.FieldID), t.C(account.FieldDomain), t.C(account.FieldIndustry), t.C(account.FieldEmployeeCount),
		t.C(account.FieldAnnualRevenue), t.C(account.FieldCountry), t.C(account.FieldRegion)).
		From(t).Where(sql.InInts(t.C(account.FieldID), ids...)),
		func(rows *stdsql.Rows) error {
			a := &ent.Account{}
			a.Edges.Contacts, a.Edges.Projects = []*ent.Contact{}, []*ent.Project{}
			err := rows.Scan(&a.ID, &a.Domain, &a.Industry, &a.EmployeeCount, &a.AnnualRevenue, &a.Country, &a.Region)
			byID[a.ID] = a
			return err
		})
	if err != nil {
		return err
	}
	c := b.Table(contact.Table)
	err = r.each(ctx, b.Select(c.C(contact.FieldAccountID), c.C(contact.FieldID), c.C(contact.FieldBuyingRole), c.C(contact.FieldSeniority)).
		From(c).Where(sql.InInts(c.C(contact.FieldAccountID), ids...)),
		func(rows *stdsql.Rows) error {
			var accountID int
			ct := &ent.Contact{}
			if err := rows.Scan(&accountID, &ct.ID, &ct.BuyingRole, &ct.Seniority); err != nil {
				return err
			}
			if a := byID[accountID]; a != nil {
				a.Edges.Contacts = append(a.Edges.Contacts, ct)
			}
			return nil
		})
	if err != nil {
		return err
	}
	p := b.Table(project.Table)
	return r.each(ctx, b.Select(p.C(project.FieldAccountID), p.C(project.FieldID), p.C(project.FieldStatus)).
		From(p).Where(sql.And(sql.InInts(p.C(project.FieldAccountID), ids...), sql.NEQ(p.C(project.FieldStatus), project.StatusDONE))),
		func(rows *stdsql.Rows) error {
			var accountID int
			pr := &ent.Project{}
			if err := rows.Scan(&accountID, &pr.ID, &pr.Status); err != nil {
				return err
			}
			if a := byID[accountID]; a != nil {
				a.Edges.Projects = append(a.Edges.Projects, pr)
			}
			return nil
		})
}

// each runs the query of sel and calls scan for each row.
func (r *FactsReader) each(ctx context.Context, sel *sql.Selector, scan func(*stdsql.Rows) error) error {
	q, args := sel.Query()
	rows, err := r.client.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
