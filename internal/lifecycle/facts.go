package lifecycle

import (
	"strconv"
	"strings"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/policy"
)

// activityWindow bounds what the policy sees of a lead's engagement: recency decay makes older
// events worthless, and a bounded input keeps decisions fast.
const (
	activityWindow = 365 * 24 * time.Hour
	maxActivities  = 100
)

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
