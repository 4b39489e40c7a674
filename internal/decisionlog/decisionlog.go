// Package decisionlog keeps every policy decision as it was made (id, revision hash, input,
// result with reasons, latency, caller), looks decisions up, replays them on any revision,
// exports them in OPA's decision-log shape and purges them past their retention.
package decisionlog

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	entdl "github.com/qualify/qualify/ent/decisionlog"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/principal"
)

// Kinds of decision, and the rule path each queries.
const (
	Lead       = entdl.KindLEAD
	Transition = entdl.KindTRANSITION
	Routing    = entdl.KindROUTING
	Authz      = entdl.KindAUTHZ
	Schedule   = entdl.KindSCHEDULE
)

var paths = map[entdl.Kind]string{
	Lead:       "qualify/lead/decision",
	Transition: "qualify/transition/decision",
	Routing:    "qualify/routing/decision",
	Authz:      "qualify/authz/decision",
	Schedule:   "qualify/schedule/decision",
}

// Entry is one decision to log.
type Entry struct {
	Kind    entdl.Kind
	LeadID  int // 0: not about a lead
	Meta    policy.Meta
	Input   any // the typed input the policy saw (policy.LeadInput …)
	Result  any // the typed result; nil when Err is set
	Err     error
	Latency time.Duration
	Trigger string
	At      time.Time // when it was made; zero: now
}

// Write stores e with c. Called with the transaction of the change the decision made, the row
// commits or rolls back with it; a read-only decision is written after the fact with the client.
// The caller is the principal of ctx.
func Write(ctx context.Context, c *ent.Client, e Entry) error {
	return WriteAll(ctx, c, []Entry{e})
}

// WriteAll stores entries with c in one INSERT: the decisions of a write's transaction, just
// before it commits, and those of a bulk scoring's batch. Input and result go as the JSON of the
// typed values, marshalled once (as CopyAll does): the ent builder took them through a map,
// marshalling each twice and decoding it once, a sixth of a createActivity's CPU.
func WriteAll(ctx context.Context, c *ent.Client, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	q, args, err := insertSQL(ctx, entries)
	if err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("decision log: %w", err)
	}
	return nil
}

// With is the WITH clause that inserts entries, to prefix a PostgreSQL statement sent anyway
// (ent's UpdateBuilder.Prefix): the decisions of a lead's re-qualification go in the UPDATE
// that stores it, a round trip fewer per write. PostgreSQL runs a data-modifying WITH to
// completion whatever the statement after it does. Its parameters are $1…$n; a builder it
// prefixes numbers its own after them.
func With(ctx context.Context, entries []Entry) (entsql.Querier, error) {
	q, args, err := insertSQL(ctx, entries)
	if err != nil {
		return nil, err
	}
	return entsql.Expr("WITH decision_log_rows AS ("+q+")", args...), nil
}

// insertSQL is the INSERT of entries (one row each, columns copyColumns) with $n parameters:
// SQLite binds $NNN to the NNNth argument as PostgreSQL does.
func insertSQL(ctx context.Context, entries []Entry) (string, []any, error) {
	caller, role := callerOf(ctx)
	now := time.Now()
	var q strings.Builder
	q.WriteString("INSERT INTO " + entdl.Table + " (" + strings.Join(copyColumns, ", ") + ") VALUES ")
	args := make([]any, 0, len(entries)*len(copyColumns))
	for i, e := range entries {
		row, err := rowOf(e, caller, role, now)
		if err != nil {
			return "", nil, err
		}
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for j := range row {
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString("$" + strconv.Itoa(len(args)+j+1))
		}
		q.WriteByte(')')
		args = append(args, row...)
	}
	return q.String(), args, nil
}

// rowOf is e's values in the order of copyColumns: what ent's builder would store (NULL result
// and lead_id unless set, decided_at now unless set).
func rowOf(e Entry, caller, role string, now time.Time) ([]any, error) {
	in, err := json.Marshal(e.Input)
	if err != nil {
		return nil, fmt.Errorf("decision log: input: %w", err)
	}
	var res, leadID any
	if e.Result != nil && e.Err == nil {
		buf, err := json.Marshal(e.Result)
		if err != nil {
			return nil, fmt.Errorf("decision log: result: %w", err)
		}
		res = json.RawMessage(buf)
	}
	msg := ""
	if e.Err != nil {
		msg = e.Err.Error()
	}
	if e.LeadID != 0 {
		leadID = int64(e.LeadID)
	}
	at := e.At
	if at.IsZero() {
		at = now
	}
	return []any{e.Meta.DecisionID, string(e.Kind), paths[e.Kind], e.Meta.Revision, e.Meta.Hash, json.RawMessage(in),
		res, msg, e.Latency.Nanoseconds(), caller, role, e.Trigger, at, leadID}, nil
}

// callerOf is the subject and role of ctx's principal, the system's without one.
func callerOf(ctx context.Context) (subject, role string) {
	p, ok := principal.From(ctx)
	if !ok {
		p = principal.System
	}
	return p.Subject, p.Role
}

// toMap is v as the policy saw it: through its JSON tags.
func toMap(v any) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	return m, json.Unmarshal(raw, &m)
}

// Purge deletes the decisions made before cutoff and returns how many: the retention.
func Purge(ctx context.Context, c *ent.Client, cutoff time.Time) (int, error) {
	return c.DecisionLog.Delete().Where(entdl.DecidedAtLT(cutoff)).Exec(ctx)
}

// Get returns a decision by its decision id; ctx's row filter applies.
func Get(ctx context.Context, c *ent.Client, decisionID string) (*ent.DecisionLog, error) {
	return c.DecisionLog.Query().Where(entdl.DecisionID(decisionID)).Only(ctx)
}

// Retain purges the decisions older than retention now and then every interval until ctx ends;
// retention <= 0 keeps them forever. Every replica may run it: a purge is idempotent.
func Retain(ctx context.Context, c *ent.Client, retention, interval time.Duration, log *slog.Logger) {
	if retention <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := Purge(ctx, c, time.Now().Add(-retention))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("decision log: purge", "err", err)
		case n > 0:
			log.Info("decision log: purged past retention", "decisions", n, "retention", retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
