// Package seed builds a realistic, deterministic demo data set: a revenue team, accounts with
// contacts and projects, and leads with the stage history and activities of their way through
// the funnel.
package seed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	_ "github.com/qualify/qualify/ent/runtime" // schema defaults and hooks
	"github.com/qualify/qualify/ent/stage"
)

// Options says how much to generate and from what.
type Options struct {
	// Leads is the number of leads; accounts, contacts and the team scale with it.
	Leads int
	// Seed selects the data set: the same Leads, Seed and Now give the same rows.
	Seed uint64
	// Now anchors the data set: histories lie in the ~18 months before it, nothing after it.
	// It is required; the seed never reads the clock for data.
	Now time.Time
	// BatchSize is the number of leads written per transaction, with their history and
	// activities; zero takes a few thousand.
	BatchSize int
	// Progress, when set, is called after each committed batch of leads.
	Progress func(done, total int)
	// Phase, when set, is called as each step begins: "accounts" (with their people and
	// projects), "leads" (counted by Progress), "indexes" (PostgreSQL builds the deferred
	// indexes and checks the foreign keys), "statistics" and, after Loaded, "lead
	// indexes" (PostgreSQL builds the leads' own, deferred past Loaded).
	Phase func(name string)
	// Pool, when it is the PostgreSQL pool under the client, lets the seed write with COPY;
	// without it rows go as multi-row INSERTs through the client. The data is the same.
	Pool *sql.DB
	// Loaded, when set, runs once every row is written, indexed for reading and analyzed, but
	// on the COPY path before the leads table's own secondary indexes are built ("lead
	// indexes"): work that updates every lead once, as scoring does, costs a fifth without
	// them, and each is built in one pass after it. Its error ends the seed.
	Loaded func(ctx context.Context) error
}

// Stats counts what Run wrote.
type Stats struct {
	Users, Accounts, Contacts, Projects, ProjectContacts int
	Leads, LeadContacts, Transitions, Activities         int
	// ByStage counts leads by the key of the stage they are in now.
	ByStage map[string]int
	Elapsed time.Duration
}

// ErrNotEmpty is returned when the database already holds accounts or leads.
var ErrNotEmpty = errors.New("seed: the database already holds accounts or leads; seed a fresh database")

// Run generates the data set described by opts and writes it with client, which must point at
// a migrated database whose Stage table holds the policy bundle's stages (lead, mql, sal, sql,
// opportunity, customer, nurture, disqualified). The team, accounts, contacts and projects are
// written in one transaction; leads follow in batches of one transaction each with their
// contact links, stage transitions and activities, generated on every core while the previous
// batch is written. On error, batches already committed stay.
func Run(ctx context.Context, client *ent.Client, opts Options) (st Stats, err error) {
	began := time.Now() // for Stats.Elapsed only
	defer func() { st.Elapsed = time.Since(began) }()
	st.ByStage = map[string]int{}
	switch {
	case opts.Leads <= 0:
		return st, fmt.Errorf("seed: Leads must be positive, got %d", opts.Leads)
	case opts.Now.IsZero():
		return st, errors.New("seed: Now is required: it anchors the data set")
	case opts.BatchSize < 0:
		return st, fmt.Errorf("seed: BatchSize must not be negative, got %d", opts.BatchSize)
	}
	stages, dia, err := loadStages(ctx, client)
	if err != nil {
		return st, err
	}
	if err := ensureEmpty(ctx, client); err != nil {
		return st, err
	}
	w := &writer{load: newLoader(client, opts.Pool, dia), stages: stages, limit: paramLimit(dia), batch: opts.BatchSize}

	now := opts.Now.UTC().Truncate(time.Second)
	start := now.Add(-window)
	team := newStaff(newRNG(opts.Seed, streamUsers, 0), opts.Leads, now, start)
	cs := newCompanies(newRNG(opts.Seed, streamAccounts, 0), max(20, opts.Leads*2/5), now)
	plan := planLeads(newRNG(opts.Seed, streamPlan, 0), opts.Leads, cs, start, now)
	r := newRNG(opts.Seed, streamPlan, 1)
	for i := range cs {
		settle(r, &cs[i], start, now)
	}

	if err := w.users(ctx, team); err != nil {
		return st, err
	}
	st.Users = len(team.members)
	cl, bulk := w.load.(copyLoader)
	if !bulk {
		if err := write(ctx, w, opts, cs, team, plan, now, &st); err != nil {
			return st, err
		}
		return st, loaded(ctx, client, dia, opts)
	}
	d, err := cl.deferIndexes(ctx, seededTables[1:])
	if err != nil {
		return st, err
	}
	leads := d.take("leads")
	if err := cl.pauseReach(ctx); err != nil {
		return st, errors.Join(err, cl.restore(ctx, d), cl.restore(ctx, leads))
	}
	err = write(ctx, w, opts, cs, team, plan, now, &st)
	// Before the indexes: the fill rewrites contacts, cheaper without them.
	if rerr := cl.resumeReach(ctx); err == nil {
		err = rerr
	}
	opts.phase("indexes")
	if rerr := cl.restore(ctx, d); err == nil {
		err = rerr
	}
	if err == nil {
		err = loaded(ctx, client, dia, opts)
	}
	if err == nil && opts.Loaded != nil {
		// Loaded (the scoring) rewrote every lead: VACUUM, while the only index is the primary
		// key, frees the old versions and sets the visibility map that index-only scans (a
		// list's totalCount) need; autovacuum would get to it much later.
		err = vacuum(ctx, client, "leads")
	}
	// Put back even after a failure, so that a half-seeded database keeps its schema.
	opts.phase("lead indexes")
	if rerr := cl.restore(ctx, leads); err == nil {
		err = rerr
	}
	if err == nil {
		err = analyze(ctx, client, "leads")
	}
	return st, err
}

// loaded analyzes the seeded tables on PostgreSQL and runs opts.Loaded.
func loaded(ctx context.Context, client *ent.Client, dia string, opts Options) error {
	// Fresh statistics: PostgreSQL plans the first reads of tables it has never analyzed badly
	// (scoring read the last manual move of 1,000 leads in seconds instead of milliseconds), and
	// autovacuum gets to them only later.
	if dia == dialect.Postgres {
		opts.phase("statistics")
		if err := analyze(ctx, client, seededTables...); err != nil {
			return err
		}
	}
	if opts.Loaded == nil {
		return nil
	}
	return opts.Loaded(ctx)
}

func vacuum(ctx context.Context, client *ent.Client, table string) error {
	if _, err := client.ExecContext(ctx, "VACUUM "+table); err != nil {
		return fmt.Errorf("seed: vacuum: %w", err)
	}
	return nil
}

func analyze(ctx context.Context, client *ent.Client, tables ...string) error {
	if _, err := client.ExecContext(ctx, "ANALYZE "+strings.Join(tables, ", ")); err != nil {
		return fmt.Errorf("seed: analyze: %w", err)
	}
	return nil
}

// write writes the accounts with their people and projects, then the leads.
func write(ctx context.Context, w *writer, opts Options, cs []company, team *staff, plan []slot, now time.Time, st *Stats) error {
	opts.phase("accounts")
	if err := w.companies(ctx, cs, st); err != nil {
		return err
	}
	opts.phase("leads")
	return generate(ctx, opts.Seed, plan, w.leadBatch(), team, cs, now, func(batch []*prospect) error {
		if err := w.leads(ctx, batch, cs, team, st); err != nil {
			return err
		}
		if opts.Progress != nil {
			opts.Progress(st.Leads, len(plan))
		}
		return nil
	})
}

func (o Options) phase(name string) {
	if o.Phase != nil {
		o.Phase(name)
	}
}

// seededTables are the tables the seed fills; those after users get their indexes and foreign
// keys deferred on PostgreSQL.
var seededTables = []string{"users", "accounts", "contacts", "projects", "project_key_contacts", "leads",
	"lead_contacts", "stage_transitions", "activities"}

// stageRow is a stage as the Stage table has it.
type stageRow struct {
	id, position int
	kind         stage.Kind
}

// funnel says whether reaching the stage counts as progress: open and won stages do, exits not.
func (s stageRow) funnel() bool { return s.kind == stage.KindOPEN || s.kind == stage.KindWON }

// loadStages looks the seed's stages up by key and notes the database's dialect on the way.
func loadStages(ctx context.Context, c *ent.Client) ([numStages]stageRow, string, error) {
	var out [numStages]stageRow
	var dia string
	rows, err := c.Stage.Query().
		Where(stage.KeyIn(stageKeys[:]...), func(s *entsql.Selector) { dia = s.Dialect() }).
		All(ctx)
	if err != nil {
		return out, "", fmt.Errorf("seed: read stages: %w", err)
	}
	var missing []string
	for i, key := range stageKeys {
		found := false
		for _, s := range rows {
			if s.Key == key && !s.Retired {
				out[i] = stageRow{id: s.ID, position: s.Position, kind: s.Kind}
				found = true
			}
		}
		if !found {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		return out, "", fmt.Errorf("seed: the Stage table lacks active stages %s: sync the policy bundle's stages first",
			strings.Join(missing, ", "))
	}
	return out, dia, nil
}

func ensureEmpty(ctx context.Context, c *ent.Client) error {
	for _, exist := range []func(context.Context) (bool, error){c.Account.Query().Exist, c.Lead.Query().Exist} {
		ok, err := exist(ctx)
		if err != nil {
			return fmt.Errorf("seed: check the database is empty: %w", err)
		}
		if ok {
			return ErrNotEmpty
		}
	}
	return nil
}
