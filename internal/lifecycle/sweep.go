package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/leadescalation"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/ent/user"
	"github.com/qualify/qualify/internal/decisionlog"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/principal"
	"github.com/qualify/qualify/internal/txn"
)

// ReviewResult is what reviewing one due lead did.
type ReviewResult struct {
	// NotDue: another review (a retry, another replica) got there first; nothing was done.
	NotDue    bool
	Rescored  bool
	Moved     bool   // by a re-score or a scheduled move
	MoveRule  string // the rule of config.schedule.moves that moved it, "" for a re-score's move
	Escalated []string
	Refused   bool // the transition policy refused the scheduled move
}

// DueLeads returns the ids of at most limit leads whose next review is at or before now, the
// longest overdue first: a range read on the next_review_at index.
func (s *Service) DueLeads(ctx context.Context, now time.Time, limit int) ([]int, error) {
	return s.client.Lead.Query().Where(lead.NextReviewAtLTE(now)).
		Order(ent.Asc(lead.FieldNextReviewAt), ent.Asc(lead.FieldID)).Limit(limit).IDs(ctx)
}

// Now is the service's clock (WithClock in tests).
func (s *Service) Now() time.Time { return s.now() }

// Review applies the schedule policy to one lead in a transaction of its own, as the system with
// trigger SCHEDULE: it escalates the SLAs past due (once per stay in a stage: the lead's row is
// locked, the escalations of the stay are read under that lock, and a unique index backs it),
// re-scores when engagement has aged (the qualification path, moves included), makes a scheduled
// move through the transition policy like a manual move, and stores the next review. A lead not
// due any more (retried, or reviewed by another replica meanwhile) is left alone, so a review is
// idempotent.
func (s *Service) Review(ctx context.Context, id int) (ReviewResult, error) {
	ctx = principal.With(ctx, principal.System)
	var res ReviewResult
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		res = ReviewResult{}
		f, err := s.funnel(ctx, tx)
		if err != nil {
			return err
		}
		read, err := loadLead(ctx, tx, f, id, s.now(), true)
		if err != nil {
			return err
		}
		l := read.Lead
		now := s.now()
		if l.NextReviewAt == nil || l.NextReviewAt.After(now) {
			res.NotDue = true
			return nil
		}
		in := loadInput(read, rfc3339(now))
		st := reviewState{in: in, qualifiedAt: l.QualifiedAt, enteredAt: l.StageEnteredAt, escalated: read.escalated}
		d, meta, sin, err := s.decideReview(ctx, tx, id, st, now)
		if err != nil {
			return fmt.Errorf("schedule policy for lead %d: %w", id, err)
		}
		if err := logDecision(ctx, tx, decisionlog.Entry{Kind: decisionlog.Schedule, LeadID: id, Meta: meta,
			Input: sin, Result: d, Trigger: "schedule"}); err != nil {
			return err
		}
		for _, e := range d.Escalations {
			if err := s.escalate(ctx, tx, l, e, meta, now); err != nil {
				return err
			}
			res.Escalated = append(res.Escalated, e.Rule)
		}
		wrote := false // whether a write below stored the next review
		if d.Rescore {
			before := l.StageID
			if err := s.qualify(ctx, tx, f, id, stagetransition.TriggerSCHEDULE); err != nil {
				return err
			}
			res.Rescored, wrote = true, true
			if l, err = tx.Lead.Get(ctx, id); err != nil {
				return err
			}
			res.Moved = l.StageID != before
		}
		if d.Move != nil && !res.Moved && d.Move.To != f.stageKey(l.StageID) {
			_, _, err := s.transitionTx(ctx, tx, TransitionRequest{
				LeadID: id, To: d.Move.To, ReasonCode: d.Move.ReasonCode, Trigger: stagetransition.TriggerSCHEDULE,
				Reason: fmt.Sprintf("schedule rule %s (policy %s)", d.Move.Rule, meta.Revision),
			}, nil)
			var r *refusal
			switch {
			case errors.As(err, &r):
				// A refused timed move changes nothing but is logged like a refused manual one.
				res.Refused = true
				if err := logDecision(ctx, tx, r.entry); err != nil {
					return err
				}
			case err != nil:
				return err
			default:
				res.Moved, res.MoveRule, wrote = true, d.Move.Rule, true
			}
		}
		if wrote {
			return nil
		}
		// Nothing else wrote the lead: store the next review without a new version (the date is
		// the sweep's bookkeeping, not a change a client must reload for).
		upd := tx.Lead.UpdateOneID(id)
		setNextReview(upd.Mutation(), d)
		return upd.Exec(ctx)
	})
	return res, err
}

// escalate records an SLA breach once per lead, rule and stay. FLAG_MANAGER flags the owner's
// manager, who then sees it (viewer.escalations); REASSIGN gives the lead to another active user
// of the owner's team (the lowest id, deterministic), or, for reassign_previous_owner, back to
// the owner it had before the current one (handBack). When neither can be done the row says why
// in flag_note: an escalation is never silent.
func (s *Service) escalate(ctx context.Context, tx *ent.Client, l *ent.Lead, e policy.Escalation, meta policy.Meta, now time.Time) error {
	due, err := time.Parse(time.RFC3339, e.DueAt)
	if err != nil {
		return &policy.EvalError{Query: policy.QuerySchedule, Revision: meta.Revision, Hash: meta.Hash,
			Err: fmt.Errorf("%w: escalations.due_at %q", policy.ErrWrongShape, e.DueAt)}
	}
	action := leadescalation.ActionFLAG_MANAGER
	if e.Action == "reassign" || e.Action == actionPreviousOwner {
		action = leadescalation.ActionREASSIGN
	}
	var owner *ent.User
	if l.OwnerID != nil {
		if owner, err = tx.User.Get(ctx, *l.OwnerID); err != nil {
			return err
		}
	}
	create := tx.LeadEscalation.Create().
		SetLeadID(l.ID).SetRule(e.Rule).SetStage(l.Edges.Stage.Key).SetStageEnteredAt(l.StageEnteredAt).
		SetAction(action).SetDueAt(due).SetEscalatedAt(now).SetNillableOwnerID(l.OwnerID).
		SetPolicyRevision(meta.Revision).SetPolicyHash(meta.Hash).SetDecisionID(meta.DecisionID)
	if owner != nil {
		create.SetTeam(owner.Team)
	}
	var note string
	switch {
	case e.Action == actionPreviousOwner:
		note, err = handBack(ctx, tx, l, create)
	case owner == nil:
		note = "the lead has no owner"
	case action == leadescalation.ActionFLAG_MANAGER:
		note, err = flagManager(ctx, tx, owner, create)
	default:
		note, err = reassign(ctx, tx, l.ID, owner, create)
	}
	if err != nil {
		return err
	}
	if err := create.SetFlagNote(note).Exec(ctx); err != nil {
		if ent.IsConstraintError(err) {
			return &domainerr.ConflictError{Message: fmt.Sprintf("lead %d: %s was escalated already", l.ID, e.Rule)}
		}
		return err
	}
	return nil
}

// flagManager flags the owner's active manager on the escalation, or says why it cannot.
func flagManager(ctx context.Context, tx *ent.Client, owner *ent.User, create *ent.LeadEscalationCreate) (string, error) {
	if owner.ManagerID == nil {
		return fmt.Sprintf("owner %s has no manager", owner.Name), nil
	}
	m, err := tx.User.Get(ctx, *owner.ManagerID)
	if err != nil {
		return "", err
	}
	if !m.Active {
		return fmt.Sprintf("manager %s of owner %s is inactive", m.Name, owner.Name), nil
	}
	create.SetFlaggedUserID(m.ID)
	return "", nil
}

// reassign gives the lead to the first other active user of the owner's team, or says why not.
func reassign(ctx context.Context, tx *ent.Client, leadID int, owner *ent.User, create *ent.LeadEscalationCreate) (string, error) {
	if owner.Team == "" {
		return fmt.Sprintf("owner %s has no team", owner.Name), nil
	}
	to, err := tx.User.Query().Where(user.Team(owner.Team), user.Active(true), user.IDNEQ(owner.ID)).
		Order(ent.Asc(user.FieldID)).FirstID(ctx)
	if ent.IsNotFound(err) {
		return fmt.Sprintf("no other active member in team %s", owner.Team), nil
	}
	if err != nil {
		return "", err
	}
	if err := tx.Lead.UpdateOneID(leadID).SetOwnerID(to).AddVersion(1).Exec(ctx); err != nil {
		return "", err
	}
	create.SetReassignedTo(to)
	return "", nil
}
