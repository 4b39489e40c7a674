package lifecycle

import (
	"context"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/decisionlog"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/txn"
)

// The decisions lifecycle makes are logged (decisionlog) with the transaction of the change they
// decide, so a lead's stored qualification, its history row and the logged decision that made
// them commit together. A refused manual transition changes nothing: it is logged after its
// transaction rolls back.

type decisionsKey struct{}

// logDecision logs e with the transaction of ctx: the entries of one transaction (or of an
// import's batch) go in one INSERT just before it commits, and those of a unit rolled back
// never go.
func logDecision(ctx context.Context, tx *ent.Client, e decisionlog.Entry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	return txn.DeferList(ctx, tx, decisionsKey{}, e, decisionlog.WriteAll)
}

// logWithUpdate moves the decisions logged so far in the transaction of ctx into upd, the
// UPDATE that stores their outcome, on PostgreSQL (pg): they are inserted by a WITH clause of
// that statement (decisionlog.With) instead of an INSERT of their own at the commit, a round
// trip fewer per write, in the same transaction as before. SQLite, whose WITH cannot insert,
// keeps the INSERT.
func logWithUpdate(ctx context.Context, pg bool, upd *ent.LeadUpdate) error {
	if !pg {
		return nil
	}
	entries := txn.TakeList[decisionlog.Entry](ctx, decisionsKey{})
	if len(entries) == 0 {
		return nil
	}
	with, err := decisionlog.With(ctx, entries)
	if err != nil {
		return err
	}
	upd.Modify(func(u *sql.UpdateBuilder) { u.Prefix(with) })
	return nil
}

// decideLead makes and logs the qualification decision of a lead.
func (s *Service) decideLead(ctx context.Context, tx *ent.Client, leadID int, in policy.LeadInput, trigger string) (policy.LeadDecision, policy.Meta, error) {
	start := time.Now()
	d, meta, err := s.decider.DecideLead(ctx, in)
	latency := time.Since(start)
	s.stats.Observe(policy.QueryLead, meta, latency, err)
	if err != nil {
		return d, meta, err
	}
	return d, meta, logDecision(ctx, tx, decisionlog.Entry{
		Kind: decisionlog.Lead, LeadID: leadID, Meta: meta, Input: in, Result: d, Latency: latency, Trigger: trigger,
	})
}

// transitionEntry is the log entry of a transition decision, counted in the stats.
func (s *Service) transitionEntry(leadID int, in policy.TransitionInput, d policy.TransitionDecision, meta policy.Meta, latency time.Duration) decisionlog.Entry {
	s.stats.Observe(policy.QueryTransition, meta, latency, nil)
	return decisionlog.Entry{
		Kind: decisionlog.Transition, LeadID: leadID, Meta: meta, Input: in, Result: d, Latency: latency, Trigger: in.Trigger,
	}
}

// decideRouting makes and logs the routing decision of a move.
func (s *Service) decideRouting(ctx context.Context, tx *ent.Client, leadID int, in policy.RoutingInput) (policy.RoutingDecision, error) {
	start := time.Now()
	d, meta, err := s.decider.DecideRouting(ctx, in)
	latency := time.Since(start)
	s.stats.Observe(policy.QueryRouting, meta, latency, err)
	if err != nil {
		return d, err
	}
	return d, logDecision(ctx, tx, decisionlog.Entry{
		Kind: decisionlog.Routing, LeadID: leadID, Meta: meta, Input: in, Result: d, Latency: latency,
	})
}
