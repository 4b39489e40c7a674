package policy

import (
	"context"
	"fmt"
	"time"

	"github.com/qualify/qualify/internal/irvm"
)

// Decisions live on Revision so that a caller can make several decisions on one version (take
// engine.Active() once per operation), and simulate a draft that was verified but never activated.
// The Engine's methods delegate to the revision active when they start.

// DecideLead scores and stages a lead (data.qualify.lead.decision). The stage it returns is one
// of the revision's stages. Meta is filled even when err is not nil, for logs.
func (r *Revision) DecideLead(ctx context.Context, in LeadInput) (LeadDecision, Meta, error) {
	return r.decideLead(ctx, &in, r.timeout)
}

// ConvertedLeadInput is a LeadInput converted for evaluation once, to be decided on several
// revisions (a simulation compares a draft with the active revision on every lead).
type ConvertedLeadInput struct{ v irvm.Value }

// ConvertLeadInput converts in for DecideConverted.
func ConvertLeadInput(in *LeadInput) ConvertedLeadInput {
	return ConvertedLeadInput{leadInputValue(in)}
}

// DecideConverted is DecideLead on an input converted by ConvertLeadInput.
func (r *Revision) DecideConverted(ctx context.Context, in ConvertedLeadInput) (LeadDecision, Meta, error) {
	return r.decideLeadValue(ctx, in.v, r.timeout)
}

func (r *Revision) decideLead(ctx context.Context, in *LeadInput, timeout time.Duration) (LeadDecision, Meta, error) {
	return r.decideLeadValue(ctx, leadInputValue(in), timeout)
}

func (r *Revision) decideLeadValue(ctx context.Context, input irvm.Value, timeout time.Duration) (LeadDecision, Meta, error) {
	meta := r.meta()
	v, err := r.eval(ctx, qLead, input, timeout)
	if err != nil {
		return LeadDecision{}, meta, err
	}
	d, err := decodeLeadDecision(v)
	if err != nil {
		return LeadDecision{}, meta, r.shapeError(qLead, err)
	}
	if !r.HasStage(d.Stage) {
		return LeadDecision{}, meta, r.shapeError(qLead, fmt.Errorf("stage: %q is not one of %s", d.Stage, QueryStages))
	}
	return d, meta, nil
}

// DecideTransition says whether a lead may move from one stage to another
// (data.qualify.transition.decision).
func (r *Revision) DecideTransition(ctx context.Context, in TransitionInput) (TransitionDecision, Meta, error) {
	return r.decideTransition(ctx, &in, r.timeout)
}

func (r *Revision) decideTransition(ctx context.Context, in *TransitionInput, timeout time.Duration) (TransitionDecision, Meta, error) {
	meta := r.meta()
	v, err := r.eval(ctx, qTransition, transitionInputValue(in), timeout)
	if err != nil {
		return TransitionDecision{}, meta, err
	}
	d, err := decodeTransitionDecision(v)
	if err != nil {
		return TransitionDecision{}, meta, r.shapeError(qTransition, err)
	}
	return d, meta, nil
}

// DecideRouting names the team and role that take a lead reaching sal or sql
// (data.qualify.routing.decision).
func (r *Revision) DecideRouting(ctx context.Context, in RoutingInput) (RoutingDecision, Meta, error) {
	return r.decideRouting(ctx, &in, r.timeout)
}

func (r *Revision) decideRouting(ctx context.Context, in *RoutingInput, timeout time.Duration) (RoutingDecision, Meta, error) {
	meta := r.meta()
	v, err := r.eval(ctx, qRouting, routingInputValue(in), timeout)
	if err != nil {
		return RoutingDecision{}, meta, err
	}
	d, err := decodeRoutingDecision(v)
	if err != nil {
		return RoutingDecision{}, meta, r.shapeError(qRouting, err)
	}
	return d, meta, nil
}

// DecideAuthz says whether a principal may run an operation, and which rows and fields it sees
// (data.qualify.authz.decision).
func (r *Revision) DecideAuthz(ctx context.Context, in AuthzInput) (AuthzDecision, Meta, error) {
	return r.decideAuthz(ctx, &in, r.timeout)
}

func (r *Revision) decideAuthz(ctx context.Context, in *AuthzInput, timeout time.Duration) (AuthzDecision, Meta, error) {
	meta := r.meta()
	v, err := r.eval(ctx, qAuthz, authzInputValue(in), timeout)
	if err != nil {
		return AuthzDecision{}, meta, err
	}
	d, err := decodeAuthzDecision(v)
	if err != nil {
		return AuthzDecision{}, meta, r.shapeError(qAuthz, err)
	}
	return d, meta, nil
}

// DecideSchedule says which timed rules are due for a lead and when to look at it next
// (data.qualify.schedule.decision). A move it names is a known stage.
func (r *Revision) DecideSchedule(ctx context.Context, in ScheduleInput) (ScheduleDecision, Meta, error) {
	return r.decideSchedule(ctx, &in, r.timeout)
}

func (r *Revision) decideSchedule(ctx context.Context, in *ScheduleInput, timeout time.Duration) (ScheduleDecision, Meta, error) {
	meta := r.meta()
	v, err := r.eval(ctx, qSchedule, scheduleInputValue(in), timeout)
	if err != nil {
		return ScheduleDecision{}, meta, err
	}
	d, err := decodeScheduleDecision(v)
	if err != nil {
		return ScheduleDecision{}, meta, r.shapeError(qSchedule, err)
	}
	if _, err := time.Parse(time.RFC3339, d.NextReviewAt); d.NextReviewAt != "" && err != nil {
		return ScheduleDecision{}, meta, r.shapeError(qSchedule, fmt.Errorf("next_review_at: not an RFC 3339 time: %q", d.NextReviewAt))
	}
	if d.Move != nil && !r.HasStage(d.Move.To) {
		return ScheduleDecision{}, meta, r.shapeError(qSchedule, fmt.Errorf("move.to: %q is not one of %s", d.Move.To, QueryStages))
	}
	return d, meta, nil
}

// DecideSchedule decides on the active revision; see Revision.DecideSchedule.
func (e *Engine) DecideSchedule(ctx context.Context, in ScheduleInput) (ScheduleDecision, Meta, error) {
	r := e.active.Load()
	if r == nil {
		return ScheduleDecision{}, Meta{}, ErrNoActivePolicy
	}
	return r.decideSchedule(ctx, &in, r.timeout)
}

// DecideLead decides on the active revision; see Revision.DecideLead.
func (e *Engine) DecideLead(ctx context.Context, in LeadInput) (LeadDecision, Meta, error) {
	r := e.active.Load()
	if r == nil {
		return LeadDecision{}, Meta{}, ErrNoActivePolicy
	}
	return r.decideLead(ctx, &in, r.timeout)
}

// DecideTransition decides on the active revision; see Revision.DecideTransition.
func (e *Engine) DecideTransition(ctx context.Context, in TransitionInput) (TransitionDecision, Meta, error) {
	r := e.active.Load()
	if r == nil {
		return TransitionDecision{}, Meta{}, ErrNoActivePolicy
	}
	return r.decideTransition(ctx, &in, r.timeout)
}

// DecideRouting decides on the active revision; see Revision.DecideRouting.
func (e *Engine) DecideRouting(ctx context.Context, in RoutingInput) (RoutingDecision, Meta, error) {
	r := e.active.Load()
	if r == nil {
		return RoutingDecision{}, Meta{}, ErrNoActivePolicy
	}
	return r.decideRouting(ctx, &in, r.timeout)
}

// DecideAuthz decides on the active revision; see Revision.DecideAuthz.
func (e *Engine) DecideAuthz(ctx context.Context, in AuthzInput) (AuthzDecision, Meta, error) {
	r := e.active.Load()
	if r == nil {
		return AuthzDecision{}, Meta{}, ErrNoActivePolicy
	}
	return r.decideAuthz(ctx, &in, r.timeout)
}
