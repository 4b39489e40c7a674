package seed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
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

// defaultLeadBatch is how many leads go in one transaction when Options.BatchSize is zero:
// large enough that statements and commits cost little, small enough that progress moves and
// SQLite's other writers get their turn about every second.
const defaultLeadBatch = 4000

// writer stores generated rows through a loader: the columns the seed sets, the rest left to
// the tables' defaults, as ent's builders would.
type writer struct {
	load   loader
	stages [numStages]stageRow
	limit  int // bind parameters per statement
	batch  int // Options.BatchSize: a cap on the leads per transaction, 0 for the default
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
func (w *writer) leadBatch() int {
	if w.batch > 0 {
		return w.batch
	}
	return defaultLeadBatch
}

var errIDOrder = errors.New("seed: the sequence returned ids out of order")

// The columns the seed writes, table by table.
var (
	userCols       = []string{"id", "name", "email", "role", "team", "active", "created_at", "updated_at"}
	accountCols    = []string{"id", "name", "domain", "industry", "country", "region", "employee_count", "annual_revenue", "created_at", "updated_at"}
	contactCols    = []string{"id", "first_name", "last_name", "title", "seniority", "buying_role", "account_id", "email", "phone", "created_at", "updated_at"}
	projectCols    = []string{"id", "name", "description", "status", "account_id", "starts_at", "ends_at", "budget", "created_at", "updated_at"}
	keyContactCols = []string{"project_id", "contact_id"}
	leadCols       = []string{"id", "source", "company_name", "country", "account_id", "budget", "authority", "need", "timing",
		"stage_id", "stage_entered_at", "furthest_stage_id", "version", "created_at", "updated_at", "first_name", "last_name",
		"job_title", "email", "phone", "owner_id", "budget_amount", "timing_date", "estimated_value"}
	leadContactCols = []string{"lead_id", "contact_id"}
	moveCols        = []string{"id", "lead_id", "to_stage_id", "occurred_at", "actor_kind", "trigger", "reason_code", "reason",
		"from_stage_id", "from_entered_at", "actor_id", "assigned_owner_id"}
	activityCols = []string{"id", "kind", "occurred_at", "lead_id", "created_at", "updated_at", "properties", "contact_id"}
)

// orNil is v, or NULL when v is its type's zero value (an unknown amount, date or email).
func orNil[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

func orNilTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func (w *writer) users(ctx context.Context, s *staff) error {
	return w.inTx(ctx, "users", func(tx loadTx) error {
		ids, err := tx.reserve(ctx, "users", len(s.members))
		if err != nil {
			return err
		}
		rows := make([][]any, len(s.members))
		for i := range s.members {
			m := &s.members[i]
			m.id = ids[i]
			rows[i] = []any{m.id, m.name, m.email, string(m.role), m.team, m.left.IsZero(), m.joined, later(m.joined, m.left)}
		}
		return tx.write(ctx, "users", userCols, rows)
	})
}

// companies writes accounts, their contacts and projects with key contacts, in one transaction.
func (w *writer) companies(ctx context.Context, cs []company, st *Stats) error {
	return w.inTx(ctx, "accounts", func(tx loadTx) error {
		people, projects := 0, 0
		for i := range cs {
			people += len(cs[i].people)
			if cs[i].project != nil {
				projects++
			}
		}
		aids, err := tx.reserve(ctx, "accounts", len(cs))
		if err != nil {
			return err
		}
		cids, err := tx.reserve(ctx, "contacts", people)
		if err != nil {
			return err
		}
		pids, err := tx.reserve(ctx, "projects", projects)
		if err != nil {
			return err
		}
		accounts := make([][]any, 0, len(cs))
		contacts := make([][]any, 0, people)
		var projs, keys [][]any
		for i := range cs {
			a := &cs[i]
			a.id = aids[i]
			accounts = append(accounts, []any{a.id, a.name, a.domain, industries[a.industry].key, countries[a.country].code,
				countries[a.country].region, orNil(a.employees), revenue(a), a.created, a.created})
			for j := range a.people {
				p := &a.people[j]
				p.id = cids[len(contacts)]
				contacts = append(contacts, []any{p.id, p.first, p.last, p.title, p.seniority, p.role, a.id,
					orNil(p.email), orNil(p.phone), p.created, p.created})
			}
			if p := a.project; p != nil {
				id := pids[len(projs)]
				projs = append(projs, []any{id, p.name, p.description, p.status, a.id, orNilTime(p.starts),
					orNilTime(p.ends), orNil(p.budget), p.created, p.created})
				for _, k := range p.keyContacts {
					keys = append(keys, []any{id, a.people[k].id})
				}
			}
		}
		for _, t := range []struct {
			name string
			cols []string
			rows [][]any
		}{
			{"accounts", accountCols, accounts},
			{"contacts", contactCols, contacts},
			{"projects", projectCols, projs},
			{"project_key_contacts", keyContactCols, keys},
		} {
			if err := tx.write(ctx, t.name, t.cols, t.rows); err != nil {
				return err
			}
		}
		st.Accounts, st.Contacts, st.Projects, st.ProjectContacts = len(cs), people, projects, len(keys)
		return nil
	})
}

func revenue(a *company) any {
	if !a.revenueKnown {
		return nil
	}
	return a.revenue
}

// leads writes a batch of leads with their contact links, stage history and activities, in
// one transaction.
func (w *writer) leads(ctx context.Context, ps []*prospect, cs []company, s *staff, st *Stats) error {
	nMoves, nActs := 0, 0
	for _, p := range ps {
		nMoves += len(p.moves)
		nActs += len(p.acts)
	}
	links := 0
	_, bulk := w.load.(copyLoader)
	return w.inTx(ctx, "leads", func(tx loadTx) error {
		ids, err := tx.reserve(ctx, "leads", len(ps))
		if err != nil {
			return err
		}
		mids, err := tx.reserve(ctx, "stage_transitions", nMoves)
		if err != nil {
			return err
		}
		aids, err := tx.reserve(ctx, "activities", nActs)
		if err != nil {
			return err
		}
		leads := make([][]any, len(ps))
		moves := make([][]any, 0, nMoves)
		acts := make([][]any, 0, nActs)
		var contacts [][]any
		for i, p := range ps {
			a := &cs[p.acct]
			leads[i] = w.lead(ids[i], p, a, s)
			// An activity of a lead reaches its owner (0: the pool), as the trigger the COPY
			// path turns off would have written (reach.go).
			reach := []int64{0}
			if p.owner >= 0 {
				reach[0] = int64(s.members[p.owner].id)
			}
			for _, k := range p.contacts {
				contacts = append(contacts, []any{ids[i], a.people[k].id})
			}
			for k := range p.moves {
				moves = append(moves, w.move(mids[len(moves)], ids[i], p, k, s))
			}
			for k := range p.acts {
				e := &p.acts[k]
				var props, contact any
				if e.props != nil {
					buf, err := json.Marshal(e.props)
					if err != nil {
						return err
					}
					props = json.RawMessage(buf)
				}
				if e.contact >= 0 {
					contact = a.people[e.contact].id
				}
				act := []any{aids[len(acts)], e.kind, e.at, ids[i], e.at, e.at, props, contact}
				if bulk {
					act = append(act, reach)
				}
				acts = append(acts, act)
			}
		}
		if err := tx.write(ctx, "leads", leadCols, leads); err != nil {
			return err
		}
		if err := tx.write(ctx, "lead_contacts", leadContactCols, contacts); err != nil {
			return err
		}
		if err := tx.write(ctx, "stage_transitions", moveCols, moves); err != nil {
			return err
		}
		cols := activityCols
		if bulk {
			cols = append(cols[:len(cols):len(cols)], reachColumn)
		}
		if err := tx.write(ctx, "activities", cols, acts); err != nil {
			return err
		}
		links = len(contacts)
		return nil
	}, func() {
		st.Leads += len(ps)
		st.LeadContacts += links
		st.Transitions += nMoves
		st.Activities += nActs
		for _, p := range ps {
			st.ByStage[stageKeys[p.moves[len(p.moves)-1].to]]++
		}
	})
}

// lead is a lead row. Its stage fields follow from its history: the stage of the last move,
// entered then; the furthest open or won stage reached by the Stage table's positions.
func (w *writer) lead(id int, p *prospect, a *company, s *staff) []any {
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
	var firstName, lastName, title string
	var email, phone, owner any
	if len(p.contacts) > 0 {
		pc := &a.people[p.contacts[0]]
		firstName, lastName, title = pc.first, pc.last, pc.title
		email, phone = orNil(pc.email), orNil(pc.phone)
	}
	if p.owner >= 0 {
		owner = s.members[p.owner].id
	}
	return []any{id, sources[p.src].key, a.name, countries[a.country].code, a.id, p.budget, p.authority, p.need, p.timing,
		w.stages[last.to].id, last.at, furthest.id, len(p.moves), first.at, updated, firstName, lastName,
		title, email, phone, owner, orNil(p.budgetAmount), orNilTime(p.timingDate), orNil(p.value)}
}

// move is the row of the lead's k-th stage transition.
func (w *writer) move(id, lead int, p *prospect, k int, s *staff) []any {
	m := &p.moves[k]
	var from, fromAt, actor, assigned any
	if k > 0 {
		from, fromAt = w.stages[m.from].id, p.moves[k-1].at
	}
	if m.actor >= 0 {
		actor = s.members[m.actor].id
	}
	if m.assigned >= 0 {
		assigned = s.members[m.assigned].id
	}
	return []any{id, lead, w.stages[m.to].id, m.at, m.actorKind, m.trigger, m.reasonCode, m.reason,
		from, fromAt, actor, assigned}
}

// inTx runs fn in one transaction of the loader and, once it committed, the done functions
// (which count what it wrote); errors say what was being written.
func (w *writer) inTx(ctx context.Context, what string, fn func(tx loadTx) error, done ...func()) error {
	if err := w.load.inTx(ctx, fn); err != nil {
		return fmt.Errorf("seed: %s: %w", what, err)
	}
	for _, f := range done {
		f()
	}
	return nil
}
