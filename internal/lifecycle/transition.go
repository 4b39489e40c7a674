package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/decisionlog"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/principal"
	"github.com/qualify/qualify/internal/txn"
)

// TransitionRequest asks to move a lead to another stage.
type TransitionRequest struct {
	LeadID     int
	To         string
	ReasonCode string
	Reason     string
	// ExpectedVersion, when set, must equal the lead's version or the move is a conflict.
	ExpectedVersion *int
	Trigger         stagetransition.Trigger // MANUAL when empty
}

// Transition asks the transition policy and, when it allows, moves the lead in one transaction:
// the lead's stage, entered-at, furthest stage, owner (on handoff) and version, and the history
// row. A refusal is a *domainerr.DeniedError with the policy's reasons and writes nothing.
func (s *Service) Transition(ctx context.Context, req TransitionRequest) (*ent.Lead, *ent.StageTransition, error) {
	var (
		out *ent.Lead
		tr  *ent.StageTransition
	)
	release, err := s.leadTurn(ctx, req.LeadID)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	err = txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		var err error
		out, tr, err = s.transitionTx(ctx, tx, req, nil)
		return err
	})
	if err != nil {
		return nil, nil, s.logRefusal(ctx, err)
	}
	return out.Unwrap(), tr.Unwrap(), nil
}

// refusal is a denied transition with its decision, to be logged once its transaction has
// rolled back (logRefusal); it reads as the *domainerr.DeniedError it wraps.
type refusal struct {
	denied error
	entry  decisionlog.Entry
}

func (r *refusal) Error() string { return r.denied.Error() }
func (r *refusal) Unwrap() error { return r.denied }

// logRefusal logs the decision of a refused transition and returns the refusal itself; other
// errors pass through.
func (s *Service) logRefusal(ctx context.Context, err error) error {
	var r *refusal
	if !errors.As(err, &r) {
		return err
	}
	if lerr := decisionlog.Write(ctx, s.client, r.entry); lerr != nil {
		s.log.Error("decision log: a refused transition", "decision", r.entry.Meta.DecisionID, "err", lerr)
	}
	return r.denied
}

// transitionTx is Transition inside the caller's transaction; extra adds the caller's own
// changes to the lead's single UPDATE (conversion sets its opportunity there).
func (s *Service) transitionTx(ctx context.Context, tx *ent.Client, req TransitionRequest, extra func(*ent.LeadMutation)) (*ent.Lead, *ent.StageTransition, error) {
	actor, _ := principal.From(ctx)
	if req.Trigger == "" {
		req.Trigger = stagetransition.TriggerMANUAL
	}
	f, err := s.funnel(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	// The lock first, the clock after it: a move that waited for another one is later in time
	// too. The window of the activities read is the clock's before the lock, which a wait makes
	// differ by the wait only.
	l, err := loadLead(ctx, tx, f, req.LeadID, s.now(), true)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	if req.ExpectedVersion != nil && *req.ExpectedVersion != l.Version {
		return nil, nil, &domainerr.ConflictError{
			Message: fmt.Sprintf("the lead is at version %d, not %d; reload it and try again", l.Version, *req.ExpectedVersion),
			Field:   "input.expectedVersion", CurrentVersion: l.Version,
		}
	}
	in, qual, err := s.qualification(ctx, l, now)
	if err != nil {
		return nil, nil, err
	}
	tin := transitionInput(l.Lead, in, qual, req, actor)
	start := time.Now()
	d, meta, err := s.decider.DecideTransition(ctx, tin)
	if err != nil {
		s.stats.Observe(policy.QueryTransition, meta, time.Since(start), err)
		return nil, nil, err
	}
	entry := s.transitionEntry(l.ID, tin, d, meta, time.Since(start))
	to, known := f.byKey[req.To]
	if !d.Allow || !known {
		return nil, nil, &refusal{denied: denied(l.Edges.Stage.Key, req.To, d.Reasons, known), entry: entry}
	}
	if err := logDecision(ctx, tx, entry); err != nil {
		return nil, nil, err
	}
	m := &plannedMove{
		lead: l.Lead, from: l.Edges.Stage, to: to, trigger: req.Trigger, actorKind: actorKind(actor),
		reasonCode: req.ReasonCode, reason: req.Reason, meta: meta,
	}
	if actor.UserID != 0 {
		m.actorID = &actor.UserID
	}
	if err := s.route(ctx, tx, m, in); err != nil {
		return nil, nil, err
	}
	upd := tx.Lead.Update().Where(lead.ID(l.ID), lead.Version(l.Version)).AddVersion(1)
	m.apply(upd.Mutation(), f, now)
	st := reviewState{in: in, qualifiedAt: l.QualifiedAt}.moved(req.To, now)
	if m.actorKind == stagetransition.ActorKindUSER && (req.Trigger == stagetransition.TriggerMANUAL || req.Trigger == stagetransition.TriggerAPI) {
		st.in.Lead.Manual = &policy.ManualDecision{From: l.Edges.Stage.Key, To: req.To, At: rfc3339(now), ReasonCode: req.ReasonCode}
	}
	if err := s.setReview(ctx, tx, l.ID, st, now, upd.Mutation()); err != nil {
		return nil, nil, fmt.Errorf("schedule policy for lead %d: %w", l.ID, err)
	}
	if extra != nil {
		extra(upd.Mutation())
	}
	if err := logWithUpdate(ctx, f.pg, upd); err != nil {
		return nil, nil, err
	}
	n, err := upd.Save(ctx)
	if err != nil {
		return nil, nil, err
	}
	if n == 0 {
		return nil, nil, staleVersion(ctx, tx, l.ID, l.Version)
	}
	tr, err := s.record(ctx, tx, m, now)
	if err != nil {
		return nil, nil, err
	}
	out, err := tx.Lead.Get(ctx, l.ID)
	return out, tr, err
}

// qualification is the lead's policy input and the qualification decision a transition is
// decided with.
func (s *Service) qualification(ctx context.Context, l *leadRead, now time.Time) (policy.LeadInput, policy.LeadDecision, error) {
	in := loadInput(l, rfc3339(now))
	qual, _, err := s.decider.DecideLead(ctx, in)
	return in, qual, err
}

// transitionInput is what the transition policy is asked about moving l as req says.
func transitionInput(l *ent.Lead, in policy.LeadInput, qual policy.LeadDecision, req TransitionRequest, actor principal.Principal) policy.TransitionInput {
	return policy.TransitionInput{
		Lead: in.Lead, From: l.Edges.Stage.Key, To: req.To,
		Actor:   policy.Actor{ID: strconv.Itoa(actor.UserID), Role: actor.Role},
		Trigger: lower(req.Trigger), ReasonCode: req.ReasonCode, Reason: req.Reason,
		Qualification: qual,
	}
}

func denied(from, to string, reasons []policy.Reason, known bool) error {
	e := &domainerr.DeniedError{From: from, To: to}
	for _, r := range reasons {
		e.Reasons = append(e.Reasons, domainerr.Reason{Code: r.Code, Message: r.Message})
	}
	if !known && len(e.Reasons) == 0 {
		e.Reasons = append(e.Reasons, domainerr.Reason{Code: "UNKNOWN_STAGE", Message: fmt.Sprintf("no stage %q in the funnel", to)})
	}
	if len(e.Reasons) == 0 {
		e.Reasons = append(e.Reasons, domainerr.Reason{Code: "DENIED", Message: "the transition policy refused the move"})
	}
	return e
}

func actorKind(p principal.Principal) stagetransition.ActorKind {
	if p.Via == principal.System.Via || p.Role == "" {
		return stagetransition.ActorKindSYSTEM
	}
	return stagetransition.ActorKindUSER
}
