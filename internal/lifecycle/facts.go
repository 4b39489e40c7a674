package lifecycle

import (
	"context"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/activity"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/project"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/policy"
)

// activityWindow bounds what the policy sees of a lead's engagement: recency decay makes older
// events worthless, and a bounded input keeps decisions fast.
const (
	activityWindow = 365 * 24 * time.Hour
	maxActivities  = 100
)

// withFacts eager-loads everything the qualification policy looks at: the stage, the account
// with its contacts and open projects, the lead's contacts and its activities in the window.
// limitActivities caps them per lead, which is only correct when q reads a single lead (ent
// applies an eager-load limit to the whole batch).
func withFacts(q *ent.LeadQuery, now time.Time, limitActivities bool) *ent.LeadQuery {
	return q.WithStage().
		WithAccount(func(q *ent.AccountQuery) {
			q.WithContacts().WithProjects(func(pq *ent.ProjectQuery) {
				pq.Where(project.StatusNEQ(project.StatusDONE))
			})
		}).
		WithContacts().
		WithActivities(func(q *ent.ActivityQuery) {
			q.Where(activity.OccurredAtGTE(now.Add(-activityWindow))).Order(ent.Desc(activity.FieldOccurredAt))
			if limitActivities {
				q.Limit(maxActivities)
			}
		})
}

// loadLead reads a lead with everything the qualification policy looks at.
func loadLead(ctx context.Context, c *ent.Client, id int, now time.Time) (*ent.Lead, error) {
	l, err := withFacts(c.Lead.Query().Where(lead.ID(id)), now, true).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, domainerr.NotFound("Lead", id)
	}
	return l, err
}

// lockLead locks the lead's row for the rest of the transaction (PostgreSQL: FOR NO KEY UPDATE,
// which the foreign keys of rows inserted beside it do not wait for), so a write that read the
// lead cannot find it changed by a concurrent one when it writes: concurrent writers queue on
// the row instead of failing the version check. SQLite needs nothing: its write transactions
// begin IMMEDIATE and run one at a time.
func lockLead(ctx context.Context, c *ent.Client, id int) error {
	_, err := c.Lead.Query().Where(lead.ID(id)).Select(lead.FieldID).Modify(func(s *sql.Selector) {
		if s.Dialect() == dialect.Postgres {
			s.For(sql.LockNoKeyUpdate)
		}
	}).Ints(ctx)
	return err
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func lower[T ~string](v T) string { return strings.ToLower(string(v)) }

func id(n int) string { return strconv.Itoa(n) }

// leadFacts converts a lead row into the policy's view of it.
func leadFacts(l *ent.Lead, stageKey string) policy.LeadFacts {
	f := policy.LeadFacts{
		ID: id(l.ID), Source: lower(l.Source), Stage: stageKey,
		Budget: lower(l.Budget), Authority: lower(l.Authority), Need: lower(l.Need), Timing: lower(l.Timing),
		Country: l.Country, CreatedAt: rfc3339(l.CreatedAt), StageEnteredAt: rfc3339(l.StageEnteredAt),
	}
	if l.BudgetAmount != nil {
		f.BudgetAmount = *l.BudgetAmount
	}
	if l.TimingDate != nil {
		f.TimingDate = rfc3339(*l.TimingDate)
	}
	if l.EstimatedValue != nil {
		f.EstimatedValue = *l.EstimatedValue
	}
	return f
}

func accountFacts(a *ent.Account) *policy.AccountFacts {
	if a == nil {
		return nil
	}
	f := &policy.AccountFacts{ID: id(a.ID), Industry: a.Industry, Country: a.Country}
	if a.Domain != nil {
		f.Domain = *a.Domain
	}
	if a.EmployeeCount != nil {
		f.EmployeeCount = *a.EmployeeCount
	}
	if a.AnnualRevenue != nil {
		f.AnnualRevenue = *a.AnnualRevenue
	}
	if a.Region != nil {
		f.Region = lower(*a.Region)
	}
	return f
}

// leadInputAt builds the qualification input of a lead whose facts are loaded (its stage edge
// need not be: bulk reads map stage ids to keys once), at now formatted as RFC 3339.
func leadInputAt(l *ent.Lead, stageKey, now string) policy.LeadInput {
	in := policy.LeadInput{
		Now:        now,
		Lead:       leadFacts(l, stageKey),
		Contacts:   []policy.ContactFacts{},
		Activities: make([]policy.ActivityFacts, 0, len(l.Edges.Activities)),
		Projects:   []policy.ProjectFacts{},
	}
	onLead := make(map[int]bool, len(l.Edges.Contacts))
	for _, c := range l.Edges.Contacts {
		onLead[c.ID] = true
		in.Contacts = append(in.Contacts, contactFacts(c, true))
	}
	if a := l.Edges.Account; a != nil {
		in.Account = accountFacts(a)
		for _, c := range a.Edges.Contacts {
			if !onLead[c.ID] {
				in.Contacts = append(in.Contacts, contactFacts(c, false))
			}
		}
		for _, p := range a.Edges.Projects {
			in.Projects = append(in.Projects, policy.ProjectFacts{ID: id(p.ID), Status: lower(p.Status)})
		}
	}
	for _, a := range l.Edges.Activities {
		in.Activities = append(in.Activities, policy.ActivityFacts{Kind: lower(a.Kind), OccurredAt: rfc3339(a.OccurredAt)})
	}
	return in
}

func contactFacts(c *ent.Contact, onLead bool) policy.ContactFacts {
	return policy.ContactFacts{ID: id(c.ID), BuyingRole: lower(c.BuyingRole), Seniority: lower(c.Seniority), OnLead: onLead}
}
