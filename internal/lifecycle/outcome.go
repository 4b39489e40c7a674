package lifecycle

import (
	"context"
	"time"

	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/principal"
)

// TransitionDecider is the part of a policy revision that says whether a move is allowed;
// *policy.Revision and *policy.Engine are one.
type TransitionDecider interface {
	DecideTransition(ctx context.Context, in policy.TransitionInput) (policy.TransitionDecision, policy.Meta, error)
}

// Move is what qualifying a lead does to its stage.
type Move struct {
	// To is the stage the lead moves to; "" when it stays.
	To string
	// Asked tells whether the transition policy was asked (the recommendation differs from the
	// stage and names a known stage); Decision and Meta are its answer.
	Asked    bool
	Decision policy.TransitionDecision
	Meta     policy.Meta
	// Input and Latency are the transition decision's, for the decision log.
	Input   policy.TransitionInput
	Latency time.Duration
}

// PlanMove decides whether qualifying lead (at stage from) with the qualification q moves it: to
// the recommended stage when it is another known stage and dec's transition policy allows the
// automatic move. It is the one rule of qualification, requalification and their simulations,
// so that a simulation predicts exactly what a requalify does.
func PlanMove(ctx context.Context, dec TransitionDecider, lead policy.LeadFacts, from string, q policy.LeadDecision,
	trigger stagetransition.Trigger, known bool) (Move, error) {
	if q.Stage == from || !known {
		return Move{}, nil
	}
	in := policy.TransitionInput{
		Lead: lead, From: from, To: q.Stage,
		Actor:   policy.Actor{ID: "", Role: principal.System.Role},
		Trigger: lower(trigger), ReasonCode: q.DisqualifyReasonCode,
		Reason:        "recommended by the qualification policy",
		Qualification: q,
	}
	start := time.Now()
	d, meta, err := dec.DecideTransition(ctx, in)
	if err != nil {
		return Move{}, err
	}
	m := Move{Asked: true, Decision: d, Meta: meta, Input: in, Latency: time.Since(start)}
	if d.Allow {
		m.To = q.Stage
	}
	return m, nil
}
