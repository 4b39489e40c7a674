package lifecycle

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/account"
	"github.com/qualify/qualify/ent/activity"
	"github.com/qualify/qualify/ent/contact"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/project"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/store"
)

// leadRead is a lead as one decision about it reads it: the row with the edges the policies look
// at (stage, account with its contacts and open projects, its own contacts, its activities in the
// window, newest first), the move a person made last, and the SLA rules escalated in its stay.
type leadRead struct {
	*ent.Lead
	manual    *policy.ManualDecision
	escalated []string
}

// loadLead reads a lead for a decision in two statements: its row (locked for the rest of the
// transaction when lock is set), then everything around it in one UNION ALL, whose branches
// each use an index of their own. The stage comes from the funnel in memory.
//
// The lock is PostgreSQL's FOR NO KEY UPDATE, which the foreign keys of rows inserted beside the
// lead do not wait for: a write that read the lead cannot find it changed by a concurrent one
// when it writes, as concurrent writers queue on the row instead of failing the version check.
// SQLite needs nothing: its write transactions begin IMMEDIATE and run one at a time.
func loadLead(ctx context.Context, c *ent.Client, f *funnel, id int, now time.Time, lock bool) (*leadRead, error) {
	l, err := leadRow(ctx, c, id, lock)
	if err != nil {
		return nil, err
	}
	return readAround(ctx, c, f, l, now)
}

// readAround reads what is around lead l for a decision (loadLead's second statement); l is
// read already, or has just been created.
func readAround(ctx context.Context, c *ent.Client, f *funnel, l *ent.Lead, now time.Time) (*leadRead, error) {
	var err error
	if l.Edges.Stage = f.byID[l.StageID]; l.Edges.Stage == nil { // retired since
		if l.Edges.Stage, err = c.Stage.Get(ctx, l.StageID); err != nil {
			return nil, err
		}
	}
	r := &leadRead{Lead: l}
	l.Edges.Contacts, l.Edges.Activities = []*ent.Contact{}, []*ent.Activity{}
	q, args := aroundSQL(l, now)
	if f.pg {
		q = store.Dollars(q, 0)
	}
	rows, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read the facts of lead %d: %w", l.ID, err)
	}
	defer rows.Close()
	var (
		latest   *ent.StageTransition
		others   []*ent.Contact // the account's
		projects = []*ent.Project{}
	)
	for rows.Next() {
		var (
			kind           string
			rid, n1, n2    stdsql.NullInt64
			s1, s2, s3, s4 stdsql.NullString
			f1             stdsql.NullFloat64
			t              any
		)
		if err := rows.Scan(&kind, &rid, &s1, &s2, &s3, &s4, &n1, &n2, &f1, &t); err != nil {
			return nil, err
		}
		at, err := timeOf(t)
		if err != nil {
			return nil, err
		}
		switch kind {
		case "lc", "ac":
			ct := &ent.Contact{ID: int(rid.Int64), BuyingRole: contact.BuyingRole(s1.String), Seniority: contact.Seniority(s2.String)}
			if kind == "lc" {
				l.Edges.Contacts = append(l.Edges.Contacts, ct)
			} else {
				others = append(others, ct)
			}
		case "a":
			a := &ent.Account{ID: int(rid.Int64), Industry: s2.String, Country: s3.String}
			if s1.Valid {
				a.Domain = &s1.String
			}
			if s4.Valid {
				region := account.Region(s4.String)
				a.Region = &region
			}
			if n1.Valid {
				n := int(n1.Int64)
				a.EmployeeCount = &n
			}
			if f1.Valid {
				a.AnnualRevenue = &f1.Float64
			}
			l.Edges.Account = a
		case "p":
			projects = append(projects, &ent.Project{ID: int(rid.Int64), Status: project.Status(s1.String)})
		case "v":
			l.Edges.Activities = append(l.Edges.Activities, &ent.Activity{ID: int(rid.Int64), Kind: activity.Kind(s1.String), OccurredAt: at})
		case "m":
			latest = &ent.StageTransition{ID: int(rid.Int64), ReasonCode: s1.String, ToStageID: int(n2.Int64), OccurredAt: at,
				ActorKind: stagetransition.ActorKind(s2.String), Trigger: stagetransition.Trigger(s3.String)}
			if n1.Valid {
				from := int(n1.Int64)
				latest.FromStageID = &from
			}
		case "e":
			r.escalated = append(r.escalated, s1.String)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if a := l.Edges.Account; a != nil {
		a.Edges.Contacts, a.Edges.Projects = append([]*ent.Contact{}, others...), projects
	}
	// The branches' rows come in any order.
	slices.SortFunc(l.Edges.Activities, func(a, b *ent.Activity) int {
		if c := b.OccurredAt.Compare(a.OccurredAt); c != 0 {
			return c
		}
		return b.ID - a.ID
	})
	if latest != nil && latest.ActorKind == stagetransition.ActorKindUSER &&
		(latest.Trigger == stagetransition.TriggerMANUAL || latest.Trigger == stagetransition.TriggerAPI) {
		r.manual = &policy.ManualDecision{To: f.stageKey(latest.ToStageID), At: rfc3339(latest.OccurredAt), ReasonCode: latest.ReasonCode}
		if latest.FromStageID != nil {
			r.manual.From = f.stageKey(*latest.FromStageID)
		}
	}
	return r, nil
}

// leadRow reads the lead's row, locked for the rest of the transaction when lock is set (see
// loadLead).
func leadRow(ctx context.Context, c *ent.Client, id int, lock bool) (*ent.Lead, error) {
	l, err := c.Lead.Query().Where(lead.ID(id), func(s *sql.Selector) {
		if lock && s.Dialect() == dialect.Postgres {
			s.For(sql.LockNoKeyUpdate)
		}
	}).Unique(false).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, domainerr.NotFound("Lead", id)
	}
	return l, err
}

// aroundSQL is the statement of everything around lead l: its contacts ("lc"), its activities
// in the window ("v"), its latest transition ("m"), the rules escalated in its stay ("e"), and
// its account ("a") with the account's contacts ("ac") and open projects ("p"). Every branch
// has the same columns: kind, id, four texts, two integers, a float and a time; NULLs are cast
// so that PostgreSQL types each column the same in every branch.
func aroundSQL(l *ent.Lead, now time.Time) (string, []any) {
	const (
		txt = "CAST(NULL AS VARCHAR)"
		num = "CAST(NULL AS BIGINT)"
		flt = "CAST(NULL AS DOUBLE PRECISION)"
		tm  = "CAST(NULL AS TIMESTAMP)"
	)
	branches := []string{
		"SELECT 'lc' AS k, c.id, c.buying_role, c.seniority, " + txt + ", " + txt + ", " + num + ", " + num + ", " + flt + ", " + tm +
			" FROM lead_contacts lc JOIN contacts c ON c.id = lc.contact_id WHERE lc.lead_id = ?",
		"SELECT 'v', v.id, v.kind, " + txt + ", " + txt + ", " + txt + ", " + num + ", " + num + ", " + flt + ", v.occurred_at" +
			" FROM (SELECT id, kind, occurred_at FROM activities WHERE lead_id = ? AND occurred_at >= ?" +
			" ORDER BY occurred_at DESC, id DESC LIMIT " + strconv.Itoa(maxActivities) + ") v",
		"SELECT 'm', id, reason_code, actor_kind, \"trigger\", " + txt + ", from_stage_id, to_stage_id, " + flt + ", occurred_at" +
			" FROM stage_transitions WHERE id = (SELECT MAX(id) FROM stage_transitions WHERE lead_id = ?)",
		"SELECT 'e', " + num + ", rule, " + txt + ", " + txt + ", " + txt + ", " + num + ", " + num + ", " + flt + ", " + tm +
			" FROM lead_escalations WHERE lead_id = ? AND stage_entered_at = ?",
	}
	args := []any{l.ID, l.ID, now.Add(-activityWindow), l.ID, l.ID, l.StageEnteredAt}
	if l.AccountID != nil {
		branches = append(branches,
			"SELECT 'a', id, domain, industry, country, region, employee_count, "+num+", annual_revenue, "+tm+
				" FROM accounts WHERE id = ?",
			"SELECT 'ac', id, buying_role, seniority, "+txt+", "+txt+", "+num+", "+num+", "+flt+", "+tm+
				" FROM contacts WHERE account_id = ?",
			"SELECT 'p', id, status, "+txt+", "+txt+", "+txt+", "+num+", "+num+", "+flt+", "+tm+
				" FROM projects WHERE account_id = ? AND status <> 'DONE'")
		args = append(args, *l.AccountID, *l.AccountID, *l.AccountID)
	}
	return strings.Join(branches, " UNION ALL "), args
}

// sqliteTimes are the layouts SQLite gives times in where it cannot tell a column's type (a
// UNION's): the driver's own format first.
var sqliteTimes = []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", time.RFC3339Nano}

// timeOf reads a time column scanned into v.
func timeOf(v any) (time.Time, error) {
	var s string
	switch x := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return x, nil
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return time.Time{}, fmt.Errorf("a time column holds %T", v)
	}
	for _, layout := range sqliteTimes {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("a time column holds %q", s)
}

// loadInput is the qualification input of a lead read by loadLead, at now (RFC 3339).
func loadInput(l *leadRead, now string) policy.LeadInput {
	in := leadInputAt(l.Lead, l.Edges.Stage.Key, now)
	in.Lead.Manual = l.manual
	return in
}
