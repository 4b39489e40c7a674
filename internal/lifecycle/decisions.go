package lifecycle

import (
	"context"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/decisionlog"
	"github.com/qualify/qualify/internal/policy"
)

// The decisions lifecycle makes are logged (decisionlog) with the transaction of the change they
// decide, so a lead's stored qualification, its history row and the logged decision that made
// them commit together. A refused manual transition changes nothing: it is logged after its
// transaction rolls back.

// decideLead makes and logs the qualification decision of a lead.
func (s *Service) decideLead(ctx context.Context, tx *ent.Client, leadID int, in policy.LeadInput, trigger string) (policy.LeadDecision, policy.Meta, error) {
	start := time.Now()
	d, meta, err := s.decider.DecideLead(ctx, in)
	latency := time.Since(start)
	s.stats.Observe(policy.QueryLead, meta, latency, err)
	if err != nil {
		return d, meta, err
	}
	return d, meta, decisionlog.Write(ctx, tx, decisionlog.Entry{
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
	return d, decisionlog.Write(ctx, tx, decisionlog.Entry{
		Kind: decisionlog.Routing, LeadID: leadID, Meta: meta, Input: in, Result: d, Latency: latency,
	})
}
