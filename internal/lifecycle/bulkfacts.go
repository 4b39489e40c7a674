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
// It reads with plain SQL rather than ent's eager loading: six or seven queries per batch, no
// joins (a plan PostgreSQL gets badly wrong on tables not yet analyzed), selecting only the
// columns the policy sees, scanned straight into the entity structs that leadInputAt converts,
// so a single lead's qualification and a bulk read cannot drift apart. ent's generic row
// handling cost about a quarter of the reading.
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
	pairs, err := r.leadEdges(ctx, b, ids, byID)
	if err != nil {
		return nil, err
	}
	contacts, err := r.accounts(ctx, b, accounts)
	if err != nil {
		return nil, err
	}
	if err := r.leadContacts(ctx, b, pairs, byID, contacts); err != nil {
		return nil, err
	}
	manual, err := manualDecisions(ctx, r.client, ids, func(id int) string { return r.stages[id] })
	if err != nil {
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
		out[i].Input.Lead.Manual = manual[l.ID]
	}
	return out, nil
}

// leadEdges reads the leads' activities in the window, newest first, and returns the pairs of
// lead and contact ids of their own contacts. The contacts are read apart (leadContacts): most
// are their account's, and a join here is a plan the database gets wrong without statistics.
func (r *FactsReader) leadEdges(ctx context.Context, b *sql.DialectBuilder, ids []int, byID map[int]*ent.Lead) ([][2]int, error) {
	var pairs [][2]int
	lc := b.Table(lead.ContactsTable)
	err := r.each(ctx, b.Select(lc.C(lead.ContactsPrimaryKey[0]), lc.C(lead.ContactsPrimaryKey[1])).
		From(lc).Where(sql.InInts(lc.C(lead.ContactsPrimaryKey[0]), ids...)),
		func(rows *stdsql.Rows) error {
			var p [2]int
			err := rows.Scan(&p[0], &p[1])
			pairs = append(pairs, p)
			return err
		})
	if err != nil {
		return nil, err
	}
	a := b.Table(activity.Table)
	return pairs, r.each(ctx, b.Select(a.C(activity.FieldLeadID), a.C(activity.FieldKind), a.C(activity.FieldOccurredAt)).
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

// leadContacts gives the leads their contacts (pairs of lead and contact id): those of their
// accounts already read (known), the others read by id.
func (r *FactsReader) leadContacts(ctx context.Context, b *sql.DialectBuilder, pairs [][2]int, byID map[int]*ent.Lead, known map[int]*ent.Contact) error {
	var missing []int
	for _, p := range pairs {
		if known[p[1]] == nil {
			missing = append(missing, p[1])
		}
	}
	if len(missing) > 0 {
		c := b.Table(contact.Table)
		err := r.each(ctx, b.Select(c.C(contact.FieldID), c.C(contact.FieldBuyingRole), c.C(contact.FieldSeniority)).
			From(c).Where(sql.InInts(c.C(contact.FieldID), missing...)),
			func(rows *stdsql.Rows) error {
				ct := &ent.Contact{}
				err := rows.Scan(&ct.ID, &ct.BuyingRole, &ct.Seniority)
				known[ct.ID] = ct
				return err
			})
		if err != nil {
			return err
		}
	}
	for _, p := range pairs {
		if l, ct := byID[p[0]], known[p[1]]; l != nil && ct != nil {
			l.Edges.Contacts = append(l.Edges.Contacts, ct)
		}
	}
	return nil
}

// accounts fills the map's accounts (keyed by id) with their contacts and open projects, and
// returns the contacts by id.
func (r *FactsReader) accounts(ctx context.Context, b *sql.DialectBuilder, byID map[int]*ent.Account) (map[int]*ent.Contact, error) {
	contacts := map[int]*ent.Contact{}
	if len(byID) == 0 {
		return contacts, nil
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
		return nil, err
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
			contacts[ct.ID] = ct
			return nil
		})
	if err != nil {
		return nil, err
	}
	p := b.Table(project.Table)
	return contacts, r.each(ctx, b.Select(p.C(project.FieldAccountID), p.C(project.FieldID), p.C(project.FieldStatus)).
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
