package seed_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/ent/user"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// dataset is a seeded database read back whole.
type dataset struct {
	stages   map[int]*ent.Stage
	byKey    map[string]*ent.Stage
	users    map[int]*ent.User
	accounts map[int]*ent.Account
	contacts map[int]*ent.Contact
	leads    []*ent.Lead
	moves    map[int][]*ent.StageTransition // by lead id, in time order
	acts     map[int][]*ent.Activity        // by lead id
}

func load(t *testing.T, c *ent.Client) *dataset {
	t.Helper()
	ctx := context.Background()
	d := &dataset{stages: map[int]*ent.Stage{}, byKey: map[string]*ent.Stage{}, users: map[int]*ent.User{},
		accounts: map[int]*ent.Account{}, contacts: map[int]*ent.Contact{},
		moves: map[int][]*ent.StageTransition{}, acts: map[int][]*ent.Activity{}}
	for _, s := range c.Stage.Query().AllX(ctx) {
		d.stages[s.ID], d.byKey[s.Key] = s, s
	}
	for _, u := range c.User.Query().AllX(ctx) {
		d.users[u.ID] = u
	}
	for _, a := range c.Account.Query().AllX(ctx) {
		d.accounts[a.ID] = a
	}
	for _, p := range c.Contact.Query().AllX(ctx) {
		d.contacts[p.ID] = p
	}
	d.leads = c.Lead.Query().Order(lead.ByID()).WithContacts().AllX(ctx)
	for _, m := range c.StageTransition.Query().
		Order(stagetransition.ByLeadID(), stagetransition.ByOccurredAt(), stagetransition.ByID()).AllX(ctx) {
		d.moves[m.LeadID] = append(d.moves[m.LeadID], m)
	}
	for _, a := range c.Activity.Query().AllX(ctx) {
		d.acts[*a.LeadID] = append(d.acts[*a.LeadID], a)
	}
	return d
}

// funnel reports whether a stage counts as progress (open or won).
func (d *dataset) funnel(id int) bool {
	k := d.stages[id].Kind
	return k == stage.KindOPEN || k == stage.KindWON
}

// reached counts leads whose furthest stage is at or past key.
func (d *dataset) reached(key string) int {
	n := 0
	for _, l := range d.leads {
		if d.stages[l.FurthestStageID].Position >= d.byKey[key].Position {
			n++
		}
	}
	return n
}

func TestInvariants(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		const leads = 3000
		run(t, db, seed.Options{Leads: leads, Seed: 42, Now: now})
		d := load(t, db.Client)
		if len(d.leads) != leads {
			t.Fatalf("%d leads, want %d", len(d.leads), leads)
		}
		t.Run("history", func(t *testing.T) { checkHistory(t, d) })
		t.Run("leads", func(t *testing.T) { checkLeads(t, d) })
		t.Run("people", func(t *testing.T) { checkPeople(t, d) })
		t.Run("funnel shape", func(t *testing.T) { checkShape(t, d) })
	})
}

// checkHistory asserts that each lead's transitions form one chain within the window and that
// the lead's stage fields agree with it.
func checkHistory(t *testing.T, d *dataset) {
	for _, l := range d.leads {
		ms := d.moves[l.ID]
		if len(ms) == 0 {
			t.Fatalf("lead %d has no history", l.ID)
		}
		first, last := ms[0], ms[len(ms)-1]
		if first.FromStageID != nil || first.FromEnteredAt != nil || first.ToStageID != d.byKey["lead"].ID {
			t.Fatalf("lead %d: first move %+v does not enter lead from nothing", l.ID, first)
		}
		furthest := first.ToStageID
		for i, m := range ms {
			if m.OccurredAt.After(now) {
				t.Fatalf("lead %d: move at %v after now", l.ID, m.OccurredAt)
			}
			if (m.ActorID != nil) != (m.ActorKind == stagetransition.ActorKindUSER) {
				t.Fatalf("lead %d: actor %v with actor kind %s", l.ID, m.ActorID, m.ActorKind)
			}
			if m.ActorKind == stagetransition.ActorKindPOLICY && m.Trigger != stagetransition.TriggerAUTO &&
				m.Trigger != stagetransition.TriggerREQUALIFY {
				t.Fatalf("lead %d: policy move with trigger %s", l.ID, m.Trigger)
			}
			to := d.stages[m.ToStageID]
			if (to.Key == "nurture" || to.Key == "disqualified") && m.ReasonCode == "" {
				t.Fatalf("lead %d: exit to %s without a reason code", l.ID, to.Key)
			}
			if d.funnel(m.ToStageID) && d.stages[m.ToStageID].Position > d.stages[furthest].Position {
				furthest = m.ToStageID
			}
			if i == 0 {
				continue
			}
			prev := ms[i-1]
			if m.FromStageID == nil || *m.FromStageID != prev.ToStageID {
				t.Fatalf("lead %d: move %d starts at %v, previous ended at %d", l.ID, i, m.FromStageID, prev.ToStageID)
			}
			if !m.OccurredAt.After(prev.OccurredAt) {
				t.Fatalf("lead %d: move %d at %v not after %v", l.ID, i, m.OccurredAt, prev.OccurredAt)
			}
			if m.FromEnteredAt == nil || !m.FromEnteredAt.Equal(prev.OccurredAt) {
				t.Fatalf("lead %d: move %d from_entered_at %v, entered at %v", l.ID, i, m.FromEnteredAt, prev.OccurredAt)
			}
			from := d.stages[*m.FromStageID]
			if d.funnel(from.ID) && d.funnel(to.ID) && to.Position < from.Position {
				if m.ReasonCode == "" || m.ActorID == nil || d.users[*m.ActorID].Role != user.RoleREVOPS {
					t.Fatalf("lead %d: backward move %s→%s by %v without revops and reason", l.ID, from.Key, to.Key, m.ActorID)
				}
			}
		}
		switch {
		case l.StageID != last.ToStageID:
			t.Fatalf("lead %d: stage %d, history ends in %d", l.ID, l.StageID, last.ToStageID)
		case !l.StageEnteredAt.Equal(last.OccurredAt):
			t.Fatalf("lead %d: stage entered %v, last move %v", l.ID, l.StageEnteredAt, last.OccurredAt)
		case !l.CreatedAt.Equal(first.OccurredAt):
			t.Fatalf("lead %d: created %v, first move %v", l.ID, l.CreatedAt, first.OccurredAt)
		case l.FurthestStageID != furthest:
			t.Fatalf("lead %d: furthest %s, history reaches %s", l.ID, d.stages[l.FurthestStageID].Key, d.stages[furthest].Key)
		case l.CreatedAt.Before(now.AddDate(0, -19, 0)):
			t.Fatalf("lead %d: created %v, more than 18 months before now", l.ID, l.CreatedAt)
		}
		for _, a := range d.acts[l.ID] {
			if !a.OccurredAt.After(l.CreatedAt) || a.OccurredAt.After(now) {
				t.Fatalf("lead %d: activity %s at %v, lead created %v", l.ID, a.Kind, a.OccurredAt, l.CreatedAt)
			}
			if a.ContactID != nil && *d.contacts[*a.ContactID].AccountID != *l.AccountID {
				t.Fatalf("lead %d: activity with a contact of another account", l.ID)
			}
		}
	}
}

// checkLeads asserts ownership, contacts and BANT fit the stage the lead reached.
func checkLeads(t *testing.T, d *dataset) {
	unowned := 0
	for _, l := range d.leads {
		if n := len(l.Edges.Contacts); n < 1 || n > 3 {
			t.Fatalf("lead %d has %d contacts", l.ID, n)
		}
		dm := false
		for _, c := range l.Edges.Contacts {
			if *c.AccountID != *l.AccountID {
				t.Fatalf("lead %d linked to a contact of another account", l.ID)
			}
			dm = dm || c.BuyingRole == "DECISION_MAKER"
		}
		cur := d.stages[l.StageID].Key
		if l.OwnerID == nil {
			unowned++
		}
		role := user.Role("")
		if l.OwnerID != nil {
			role = d.users[*l.OwnerID].Role
		}
		switch cur {
		case "sal":
			if role != user.RoleBDR {
				t.Fatalf("lead %d in sal owned by %q, want a BDR", l.ID, role)
			}
		case "sql", "opportunity", "customer":
			if role != user.RoleAE {
				t.Fatalf("lead %d in %s owned by %q, want an AE", l.ID, cur, role)
			}
		}
		if cur == "sql" || cur == "opportunity" || cur == "customer" {
			if l.Need != lead.NeedYES || (l.Budget != lead.BudgetYES && l.Timing != lead.TimingYES) ||
				(!dm && l.Authority != lead.AuthorityYES) {
				t.Fatalf("lead %d in %s without confirmed BANT: %s/%s/%s/%s, decision maker %v",
					l.ID, cur, l.Budget, l.Authority, l.Need, l.Timing, dm)
			}
		}
		if (l.Budget == lead.BudgetYES) != (l.BudgetAmount != nil) || (l.Timing == lead.TimingYES) != (l.TimingDate != nil) {
			t.Fatalf("lead %d: budget %s amount %v, timing %s date %v", l.ID, l.Budget, l.BudgetAmount, l.Timing, l.TimingDate)
		}
	}
	if unowned == 0 || unowned == len(d.leads) {
		t.Errorf("%d of %d leads unowned, want some", unowned, len(d.leads))
	}
}

var (
	userEmail = regexp.MustCompile(`^[a-z]+\.[a-z]+[0-9]*@qualify\.example$`)
	domain    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z]{2,})+$`)
)

// checkPeople asserts users cover every role, and contact and account data are normalized.
func checkPeople(t *testing.T, d *dataset) {
	roles := map[user.Role]bool{}
	for _, u := range d.users {
		roles[u.Role] = true
		if !userEmail.MatchString(u.Email) {
			t.Errorf("user email %q", u.Email)
		}
	}
	for _, r := range []user.Role{user.RoleMARKETING, user.RoleBDR, user.RoleAE, user.RoleREVOPS, user.RoleANALYST, user.RoleADMIN} {
		if !roles[r] {
			t.Errorf("no user with role %s", r)
		}
	}
	for _, a := range d.accounts {
		if a.Domain == nil || !domain.MatchString(*a.Domain) || strings.HasPrefix(*a.Domain, "www.") {
			t.Errorf("account domain %v", a.Domain)
		}
		if a.Region == nil || len(a.Country) != 2 || a.Industry == "" || a.Industry != strings.ToLower(a.Industry) {
			t.Errorf("account %s: region %v country %q industry %q", a.Name, a.Region, a.Country, a.Industry)
		}
	}
	for _, c := range d.contacts {
		if c.Email != nil && (*c.Email != strings.ToLower(*c.Email) || !strings.HasSuffix(*c.Email, "@"+*d.accounts[*c.AccountID].Domain)) {
			t.Errorf("contact email %q at %s", *c.Email, *d.accounts[*c.AccountID].Domain)
		}
		if c.Phone != nil {
			n, err := phonenumbers.Parse(*c.Phone, "")
			if err != nil || !phonenumbers.IsValidNumber(n) || phonenumbers.Format(n, phonenumbers.E164) != *c.Phone {
				t.Errorf("contact phone %q is not a valid E.164 number", *c.Phone)
			}
		}
		if c.BuyingRole == "DECISION_MAKER" && c.Seniority != "C_LEVEL" && c.Seniority != "VP" && c.Seniority != "DIRECTOR" {
			t.Errorf("decision maker %q with seniority %s", c.Title, c.Seniority)
		}
	}
}
