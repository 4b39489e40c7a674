package seed_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"slices"
	"testing"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/account"
	"github.com/qualify/qualify/ent/activity"
	"github.com/qualify/qualify/ent/contact"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/project"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/ent/user"
)

// fingerprint hashes every row the seed writes, in id order, with ids replaced by the row's
// rank in its table (and stage ids by stage keys): two data sets with the same fingerprint
// have the same rows whatever ids the databases handed out.
func fingerprint(t *testing.T, c *ent.Client) string {
	t.Helper()
	ctx := context.Background()
	h := sha256.New()
	stages := map[int]string{}
	for _, s := range c.Stage.Query().AllX(ctx) {
		stages[s.ID] = s.Key
	}
	rank := func(ids []int) map[int]int {
		m := make(map[int]int, len(ids))
		for i, id := range ids {
			m[id] = i + 1
		}
		return m
	}
	users := c.User.Query().Order(user.ByID()).AllX(ctx)
	userRank := rank(ids(users, func(u *ent.User) int { return u.ID }))
	for _, u := range users {
		row(h, "user", u.Name, u.Email, u.Role, u.Team, u.Active, ts(u.CreatedAt), ts(u.UpdatedAt))
	}
	accounts := c.Account.Query().Order(account.ByID()).AllX(ctx)
	accountRank := rank(ids(accounts, func(a *ent.Account) int { return a.ID }))
	for _, a := range accounts {
		row(h, "account", a.Name, deref(a.Domain), a.Industry, deref(a.EmployeeCount), deref(a.AnnualRevenue),
			a.Country, deref(a.Region), ts(a.CreatedAt), ts(a.UpdatedAt))
	}
	contacts := c.Contact.Query().Order(contact.ByID()).AllX(ctx)
	contactRank := rank(ids(contacts, func(p *ent.Contact) int { return p.ID }))
	for _, p := range contacts {
		row(h, "contact", p.FirstName, p.LastName, deref(p.Email), deref(p.Phone), p.Title, p.Seniority,
			p.BuyingRole, ref(accountRank, p.AccountID), ts(p.CreatedAt))
	}
	for _, p := range c.Project.Query().Order(project.ByID()).WithKeyContacts().AllX(ctx) {
		row(h, "project", p.Name, p.Description, p.Status, tsp(p.StartsAt), tsp(p.EndsAt), deref(p.Budget),
			accountRank[p.AccountID], ts(p.CreatedAt), linked(contactRank, p.Edges.KeyContacts))
	}
	leads := c.Lead.Query().Order(lead.ByID()).WithContacts().AllX(ctx)
	leadRank := rank(ids(leads, func(l *ent.Lead) int { return l.ID }))
	for _, l := range leads {
		row(h, "lead", l.FirstName, l.LastName, deref(l.Email), deref(l.Phone), l.CompanyName, l.JobTitle,
			l.Country, l.Source, l.Budget, deref(l.BudgetAmount), l.Authority, l.Need, l.Timing,
			tsp(l.TimingDate), deref(l.EstimatedValue), ref(accountRank, l.AccountID), ref(userRank, l.OwnerID),
			stages[l.StageID], ts(l.StageEnteredAt), stages[l.FurthestStageID], l.Version, ts(l.CreatedAt),
			ts(l.UpdatedAt), linked(contactRank, l.Edges.Contacts))
	}
	for _, m := range c.StageTransition.Query().Order(stagetransition.ByID()).AllX(ctx) {
		from := ""
		if m.FromStageID != nil {
			from = stages[*m.FromStageID]
		}
		row(h, "move", leadRank[m.LeadID], from, stages[m.ToStageID], ts(m.OccurredAt), tsp(m.FromEnteredAt),
			ref(userRank, m.ActorID), m.ActorKind, m.Trigger, m.ReasonCode, m.Reason, ref(userRank, m.AssignedOwnerID))
	}
	for _, a := range c.Activity.Query().Order(activity.ByID()).AllX(ctx) {
		props, err := json.Marshal(a.Properties)
		if err != nil {
			t.Fatal(err)
		}
		row(h, "activity", a.Kind, ts(a.OccurredAt), string(props), ref(leadRank, a.LeadID),
			ref(contactRank, a.ContactID), ts(a.CreatedAt))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func row(h hash.Hash, fields ...any) {
	for _, f := range fields {
		fmt.Fprintf(h, "%v\x1f", f)
	}
	h.Write([]byte{'\n'})
}

func ids[T any](xs []T, id func(T) int) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func ref(ranks map[int]int, id *int) string {
	if id == nil {
		return "-"
	}
	return fmt.Sprint(ranks[*id])
}

func linked(ranks map[int]int, cs []*ent.Contact) []int {
	out := make([]int, len(cs))
	for i, c := range cs {
		out[i] = ranks[c.ID]
	}
	slices.Sort(out)
	return out
}

func deref[T any](p *T) any {
	if p == nil {
		return "-"
	}
	return *p
}

// ts prints a time the same way whichever database returned it.
func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func tsp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return ts(*t)
}
