// Package decisionlog keeps every policy decision as it was made (id, revision hash, input,
// result with reasons, latency, caller), looks decisions up, replays them on any revision,
// exports them in OPA's decision-log shape and purges them past their retention.
package decisionlog

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

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
	create, err := builder(ctx, c, e)
	if err != nil {
		return err
	}
	return create.Exec(ctx)
}

// WriteAll stores entries with c in one statement (bulk scoring).
func WriteAll(ctx context.Context, c *ent.Client, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	bs := make([]*ent.DecisionLogCreate, len(entries))
	for i, e := range entries {
		var err error
		if bs[i], err = builder(ctx, c, e); err != nil {
			return err
		}
	}
	return c.DecisionLog.CreateBulk(bs...).Exec(ctx)
}

func builder(ctx context.Context, c *ent.Client, e Entry) (*ent.DecisionLogCreate, error) {
	in, err := toMap(e.Input)
	if err != nil {
		return nil, fmt.Errorf("decision log: input: %w", err)
	}
	create := c.DecisionLog.Create().
		SetDecisionID(e.Meta.DecisionID).SetKind(e.Kind).SetPath(paths[e.Kind]).
		SetRevision(e.Meta.Revision).SetRevisionHash(e.Meta.Hash).
		SetInput(in).SetLatencyNs(e.Latency.Nanoseconds()).SetTrigger(e.Trigger)
	if e.Result != nil && e.Err == nil {
		res, err := toMap(e.Result)
		if err != nil {
			return nil, fmt.Errorf("decision log: result: %w", err)
		}
		create.SetResult(res)
	}
	if e.Err != nil {
		create.SetError(e.Err.Error())
	}
	if e.LeadID != 0 {
		create.SetLeadID(e.LeadID)
	}
	if !e.At.IsZero() {
		create.SetDecidedAt(e.At)
	}
	caller, role := callerOf(ctx)
	return create.SetCaller(caller).SetCallerRole(role), nil
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
