package seed

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/activity"
	"github.com/qualify/qualify/ent/contact"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/migrate"
	"github.com/qualify/qualify/ent/project"
	"github.com/qualify/qualify/ent/stagetransition"
)

// maxLinks is the most contacts a lead or a project is linked to: three.
const maxLinks = 3

// paramLimit is the most bind parameters one statement may carry in a dialect.
func paramLimit(d string) int {
	switch d {
	case dialect.SQLite:
		return 32766 // SQLITE_MAX_VARIABLE_NUMBER since SQLite 3.32
	case dialect.Postgres, dialect.MySQL:
		return 65535
	}
	return 999
}

// writer stores generated rows with ent's bulk inserts, every statement under the dialect's
// bind-parameter limit.
type writer struct {
	client *ent.Client
	stages [numStages]stageRow
	limit  int // bind parameters per statement
	batch  int // Options.BatchSize: a cap on rows per statement, 0 for none
}

// rows is how many rows of a table with cols columns (and links M2M rows of two columns per
// row) fit in one statement.
func (w *writer) rows(cols, links int) int {
	n := w.limit / cols
	if links > 0 {
		n = min(n, w.limit/(2*links))
	}
	if w.batch > 0 {
		n = min(n, w.batch)
	}
	return max(n, 1)
}

// leadBatch is how many leads are written per transaction, with their history and activities.
func (w *writer) leadBatch() int { return w.rows(len(migrate.LeadsColumns), maxLinks) }

// inTx runs fn in one transaction; errors say what was being written.
func (w *writer) inTx(ctx context.Context, what string, fn func(c *ent.Client) error) error {
	tx, err := w.client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("seed: %s: begin: %w", what, err)
	}
	if err := fn(tx.Client()); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return fmt.Errorf("seed: %s: %w (rollback: %v)", what, err, rerr)
		}
		return fmt.Errorf("seed: %s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("seed: %s: commit: %w", what, err)
	}
	return nil
}

var errIDOrder = errors.New("bulk insert returned ids out of insertion order")

// bulk inserts n rows, per at a time: build makes the builder of row i, save runs one bulk
// statement, and set receives the id of row i. Ids must come back in insertion order, as ent
// itself assumes when it wires edges; bulk checks that they do.
func bulk[B, E any](ctx context.Context, n, per int, build func(i int) B,
	save func(context.Context, []B) ([]E, error), id func(E) int, set func(i, id int)) error {
	bs := make([]B, 0, min(per, n))
	last := 0
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		bs = bs[:0]
		for i := lo; i < hi; i++ {
			bs = append(bs, build(i))
		}
		es, err := save(ctx, bs)
		if err != nil {
			return err
		}
		for k, e := range es {
			v := id(e)
			if v <= last {
				return errIDOrder
			}
			last = v
			set(lo+k, v)
		}
	}
	return nil
}

func (w *writer) users(ctx context.Context, s *staff) error {
	return w.inTx(ctx, "users", func(c *ent.Client) error {
		return bulk(ctx, len(s.members), w.rows(len(migrate.UsersColumns), 0),
			func(i int) *ent.UserCreate {
				m := &s.members[i]
				return c.User.Create().SetName(m.name).SetEmail(m.email).SetRole(m.role).SetTeam(m.team).
					SetActive(m.left.IsZero()).SetCreatedAt(m.joined).SetUpdatedAt(later(m.joined, m.left))
			},
			func(ctx context.Context, bs []*ent.UserCreate) ([]*ent.User, error) {
				return c.User.CreateBulk(bs...).Save(ctx)
			},
			func(u *ent.User) int { return u.ID },
			func(i, id int) { s.members[i].id = id })
	})
}

// companies writes accounts, their contacts and projects with key contacts, in one transaction.
func (w *writer) companies(ctx context.Context, cs []company, st *Stats) error {
	type ref struct{ a, p int }
	var people []ref
	var projects []int
	for i := range cs {
		for j := range cs[i].people {
			people = append(people, ref{i, j})
		}
		if cs[i].project != nil {
			projects = append(projects, i)
		}
	}
	return w.inTx(ctx, "accounts", func(c *ent.Client) error {
		err := bulk(ctx, len(cs), w.rows(len(migrate.AccountsColumns), 0),
			func(i int) *ent.AccountCreate {
				a := &cs[i]
				b := c.Account.Create().SetName(a.name).SetDomain(a.domain).
					SetIndustry(industries[a.industry].key).SetCountry(countries[a.country].code).
					SetRegion(countries[a.country].region).SetCreatedAt(a.created).SetUpdatedAt(a.created)
				if a.employees > 0 {
					b.SetEmployeeCount(a.employees)
				}
				if a.revenueKnown {
					b.SetAnnualRevenue(a.revenue)
				}
				return b
			},
			func(ctx context.Context, bs []*ent.AccountCreate) ([]*ent.Account, error) {
				return c.Account.CreateBulk(bs...).Save(ctx)
			},
			func(a *ent.Account) int { return a.ID },
			func(i, id int) { cs[i].id = id })
		if err != nil {
			return fmt.Errorf("accounts: %w", err)
		}
		err = bulk(ctx, len(people), w.rows(len(migrate.ContactsColumns), 0),
			func(i int) *ent.ContactCreate {
				a := &cs[people[i].a]
				p := &a.people[people[i].p]
				b := c.Contact.Create().SetFirstName(p.first).SetLastName(p.last).SetTitle(p.title).
					SetSeniority(contact.Seniority(p.seniority)).SetBuyingRole(contact.BuyingRole(p.role)).
					SetAccountID(a.id).SetCreatedAt(p.created).SetUpdatedAt(p.created)
				if p.email != "" {
					b.SetEmail(p.email)
				}
				if p.phone != "" {
					b.SetPhone(p.phone)
				}
				return b
			},
			func(ctx context.Context, bs []*ent.ContactCreate) ([]*ent.Contact, error) {
				return c.Contact.CreateBulk(bs...).Save(ctx)
			},
			func(p *ent.Contact) int { return p.ID },
			func(i, id int) { cs[people[i].a].people[people[i].p].id = id })
		if err != nil {
			return fmt.Errorf("contacts: %w", err)
		}
		err = bulk(ctx, len(projects), w.rows(len(migrate.ProjectsColumns), maxLinks),
			func(i int) *ent.ProjectCreate {
				a := &cs[projects[i]]
				p := a.project
				b := c.Project.Create().SetName(p.name).SetDescription(p.description).
					SetStatus(project.Status(p.status)).SetAccountID(a.id).
					SetCreatedAt(p.created).SetUpdatedAt(p.created)
				if !p.starts.IsZero() {
					b.SetStartsAt(p.starts)
				}
				if !p.ends.IsZero() {
					b.SetEndsAt(p.ends)
				}
				if p.budget > 0 {
					b.SetBudget(p.budget)
				}
				for _, k := range p.keyContacts {
					b.AddKeyContactIDs(a.people[k].id)
				}
				st.ProjectContacts += len(p.keyContacts)
				return b
			},
			func(ctx context.Context, bs []*ent.ProjectCreate) ([]*ent.Project, error) {
				return c.Project.CreateBulk(bs...).Save(ctx)
			},
			func(p *ent.Project) int { return p.ID },
			func(int, int) {})
		if err != nil {
			return fmt.Errorf("projects: %w", err)
		}
		st.Accounts, st.Contacts, st.Projects = len(cs), len(people), len(projects)
		return nil
	})
}

// leads writes a batch of leads with their contact links, stage history and activities, in
// one transaction.
func (w *writer) leads(ctx context.Context, ps []*prospect, cs []company, s *staff, st *Stats) error {
	ids := make([]int, len(ps))
	type ref struct{ p, k int }
	var moves, acts []ref
	for i, p := range ps {
		for k := range p.moves {
			moves = append(moves, ref{i, k})
		}
		for k := range p.acts {
			acts = append(acts, ref{i, k})
		}
	}
	return w.inTx(ctx, "leads", func(c *ent.Client) error {
		err := bulk(ctx, len(ps), w.rows(len(migrate.LeadsColumns), maxLinks),
			func(i int) *ent.LeadCreate { return w.lead(c, ps[i], cs, s, st) },
			func(ctx context.Context, bs []*ent.LeadCreate) ([]*ent.Lead, error) {
				return c.Lead.CreateBulk(bs...).Save(ctx)
			},
			func(l *ent.Lead) int { return l.ID },
			func(i, id int) { ids[i] = id })
		if err != nil {
			return fmt.Errorf("leads: %w", err)
		}
		err = bulk(ctx, len(moves), w.rows(len(migrate.StageTransitionsColumns), 0),
			func(i int) *ent.StageTransitionCreate {
				p := ps[moves[i].p]
				m := &p.moves[moves[i].k]
				b := c.StageTransition.Create().SetLeadID(ids[moves[i].p]).SetToStageID(w.stages[m.to].id).
					SetOccurredAt(m.at).SetActorKind(stagetransition.ActorKind(m.actorKind)).
					SetTrigger(stagetransition.Trigger(m.trigger)).SetReasonCode(m.reasonCode).SetReason(m.reason)
				if k := moves[i].k; k > 0 {
					b.SetFromStageID(w.stages[m.from].id).SetFromEnteredAt(p.moves[k-1].at)
				}
				if m.actor >= 0 {
					b.SetActorID(s.members[m.actor].id)
				}
				if m.assigned >= 0 {
					b.SetAssignedOwnerID(s.members[m.assigned].id)
				}
				return b
			},
			func(ctx context.Context, bs []*ent.StageTransitionCreate) ([]*ent.StageTransition, error) {
				return c.StageTransition.CreateBulk(bs...).Save(ctx)
			},
			func(t *ent.StageTransition) int { return t.ID },
			func(int, int) {})
		if err != nil {
			return fmt.Errorf("stage transitions: %w", err)
		}
		err = bulk(ctx, len(acts), w.rows(len(migrate.ActivitiesColumns), 0),
			func(i int) *ent.ActivityCreate {
				p := ps[acts[i].p]
				e := &p.acts[acts[i].k]
				b := c.Activity.Create().SetKind(activity.Kind(e.kind)).SetOccurredAt(e.at).
					SetLeadID(ids[acts[i].p]).SetCreatedAt(e.at).SetUpdatedAt(e.at)
				if e.props != nil {
					b.SetProperties(e.props)
				}
				if e.contact >= 0 {
					b.SetContactID(cs[p.acct].people[e.contact].id)
				}
				return b
			},
			func(ctx context.Context, bs []*ent.ActivityCreate) ([]*ent.Activity, error) {
				return c.Activity.CreateBulk(bs...).Save(ctx)
			},
			func(a *ent.Activity) int { return a.ID },
			func(int, int) {})
		if err != nil {
			return fmt.Errorf("activities: %w", err)
		}
		st.Leads += len(ps)
		st.Transitions += len(moves)
		st.Activities += len(acts)
		return nil
	})
}

// lead builds a lead row. Its stage fields follow from its history: the stage of the last
// move, entered then; the furthest open or won stage reached by the Stage table's positions.
func (w *writer) lead(c *ent.Client, p *prospect, cs []company, s *staff, st *Stats) *ent.LeadCreate {
	a := &cs[p.acct]
	first, last := p.moves[0], p.moves[len(p.moves)-1]
	furthest := w.stages[stLead]
	updated := last.at
	for _, m := range p.moves {
		if to := w.stages[m.to]; to.funnel() && to.position > furthest.position {
			furthest = to
		}
	}
	if n := len(p.acts); n > 0 && p.acts[n-1].at.After(updated) {
		updated = p.acts[n-1].at
	}
	b := c.Lead.Create().SetSource(lead.Source(sources[p.src].key)).
		SetCompanyName(a.name).SetCountry(countries[a.country].code).SetAccountID(a.id).
		SetBudget(lead.Budget(p.budget)).SetAuthority(lead.Authority(p.authority)).
		SetNeed(lead.Need(p.need)).SetTiming(lead.Timing(p.timing)).
		SetStageID(w.stages[last.to].id).SetStageEnteredAt(last.at).SetFurthestStageID(furthest.id).
		SetVersion(len(p.moves)).SetCreatedAt(first.at).SetUpdatedAt(updated)
	if len(p.contacts) > 0 {
		pc := &a.people[p.contacts[0]]
		b.SetFirstName(pc.first).SetLastName(pc.last).SetJobTitle(pc.title)
		if pc.email != "" {
			b.SetEmail(pc.email)
		}
		if pc.phone != "" {
			b.SetPhone(pc.phone)
		}
		for _, k := range p.contacts {
			b.AddContactIDs(a.people[k].id)
		}
		st.LeadContacts += len(p.contacts)
	}
	if p.owner >= 0 {
		b.SetOwnerID(s.members[p.owner].id)
	}
	if p.budgetAmount > 0 {
		b.SetBudgetAmount(p.budgetAmount)
	}
	if !p.timingDate.IsZero() {
		b.SetTimingDate(p.timingDate)
	}
	if p.value > 0 {
		b.SetEstimatedValue(p.value)
	}
	st.ByStage[stageKeys[last.to]]++
	return b
}
