package lifecycle

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/contact"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/schema/qualtype"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/crm"
	"github.com/qualify/qualify/internal/policy"
)

// Requalify implements crm.Requalifier: it re-evaluates every lead a change touched.
func (s *Service) Requalify(ctx context.Context, tx *ent.Client, t crm.Touched) error {
	ids, err := touchedLeads(ctx, tx, t)
	if err != nil {
		return err
	}
	f, err := s.funnel(ctx, tx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		var extra []leadChange
		if t.LeadActivityAt != nil && t.LeadID != nil && id == *t.LeadID {
			extra = append(extra, raiseLastActivity(*t.LeadActivityAt))
		}
		if err := s.qualify(ctx, tx, f, id, stagetransition.TriggerAUTO, extra...); err != nil {
			return err
		}
	}
	return nil
}

func touchedLeads(ctx context.Context, c *ent.Client, t crm.Touched) ([]int, error) {
	q := c.Lead.Query()
	switch {
	case t.LeadID != nil:
		return []int{*t.LeadID}, nil
	case t.ContactID != nil && t.AccountID != nil:
		q = q.Where(lead.Or(lead.AccountID(*t.AccountID), lead.HasContactsWith(contact.ID(*t.ContactID))))
	case t.ContactID != nil:
		q = q.Where(lead.HasContactsWith(contact.ID(*t.ContactID)))
	case t.AccountID != nil:
		q = q.Where(lead.AccountID(*t.AccountID))
	default:
		return nil, nil
	}
	// In id order, so transactions that requalify overlapping sets lock the leads in one order.
	return q.Order(ent.Asc(lead.FieldID)).IDs(ctx)
}

// qualify evaluates the qualification policy for one lead and stores the decision with a single
// UPDATE. When the policy recommends another stage and the transition policy allows the move
// (trigger auto or requalify), the lead moves in the same write.
func (s *Service) qualify(ctx context.Context, tx *ent.Client, f *funnel, id int, trigger stagetransition.Trigger, extra ...leadChange) error {
	row, err := leadRow(ctx, tx, id, true)
	if err != nil {
		return err
	}
	return s.qualifyRow(ctx, tx, f, row, trigger, extra...)
}

// qualifyRow is qualify of a lead whose row is read (locked) or was just created by tx.
func (s *Service) qualifyRow(ctx context.Context, tx *ent.Client, f *funnel, row *ent.Lead, trigger stagetransition.Trigger, extra ...leadChange) error {
	id, now := row.ID, s.now()
	l, err := readAround(ctx, tx, f, row, now)
	if err != nil {
		return err
	}
	in := loadInput(l, rfc3339(now))
	d, meta, err := s.decideLead(ctx, tx, id, in, lower(trigger))
	if err != nil {
		return fmt.Errorf("qualify lead %d: %w", id, err)
	}
	upd := tx.Lead.Update().Where(lead.ID(l.ID), lead.Version(l.Version)).AddVersion(1)
	setDecision(upd.Mutation(), d, meta, now)
	for _, change := range extra {
		change(upd.Mutation(), l.Lead)
	}

	var move *plannedMove
	to, known := f.byKey[d.Stage]
	planned, err := PlanMove(ctx, s.decider, in.Lead, l.Edges.Stage.Key, d, trigger, known)
	if err != nil {
		return fmt.Errorf("transition policy for lead %d: %w", id, err)
	}
	if planned.Asked {
		e := s.transitionEntry(id, planned.Input, planned.Decision, planned.Meta, planned.Latency)
		if err := logDecision(ctx, tx, e); err != nil {
			return err
		}
	}
	if planned.To != "" {
		move = &plannedMove{
			lead: l.Lead, from: l.Edges.Stage, to: to, trigger: trigger, actorKind: stagetransition.ActorKindPOLICY,
			reasonCode: d.DisqualifyReasonCode, reason: stageReason(d), meta: planned.Meta,
		}
		if err := s.route(ctx, tx, move, in); err != nil {
			return err
		}
		move.apply(upd.Mutation(), f, now)
	}
	st := reviewState{in: in, qualifiedAt: &now, enteredAt: l.StageEnteredAt, escalated: l.escalated}
	if move != nil {
		st = st.moved(move.to.Key, now)
	}
	if err := s.setReview(ctx, tx, id, st, now, upd.Mutation()); err != nil {
		return fmt.Errorf("schedule policy for lead %d: %w", id, err)
	}
	if err := logWithUpdate(ctx, f.pg, upd); err != nil {
		return err
	}
	n, err := upd.Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return staleVersion(ctx, tx, l.ID, l.Version)
	}
	if move == nil {
		return nil
	}
	_, err = s.record(ctx, tx, move, now)
	return err
}

// leadChange is a caller's change to a lead, made in the UPDATE of its re-qualification; l is
// the lead as read under its lock.
type leadChange func(m *ent.LeadMutation, l *ent.Lead)

// raiseLastActivity sets lastActivityAt to at if that is later: an activity was added.
func raiseLastActivity(at time.Time) leadChange {
	return func(m *ent.LeadMutation, l *ent.Lead) {
		if l.LastActivityAt == nil || l.LastActivityAt.Before(at) {
			m.SetLastActivityAt(at)
		}
	}
}

// setDecision writes a qualification decision onto a lead mutation.
func setDecision(m *ent.LeadMutation, d policy.LeadDecision, meta policy.Meta, now time.Time) {
	m.SetFitScore(d.FitScore)
	m.SetEngagementScore(d.EngagementScore)
	m.SetScore(d.Score)
	if g := lead.Grade(d.Grade); lead.GradeValidator(g) == nil {
		m.SetGrade(g)
	}
	if t := lead.Temperature(upper(d.Temperature)); lead.TemperatureValidator(t) == nil {
		m.SetTemperature(t)
	}
	m.SetRecommendedStage(d.Stage)
	reasons := make([]qualtype.Reason, len(d.Reasons))
	for i, r := range d.Reasons {
		reasons[i] = qualtype.Reason{Code: r.Code, Message: r.Message, Points: r.Points}
	}
	m.SetReasons(reasons)
	m.SetBant(qualtype.BANT(d.BANT))
	m.SetCoverage(qualtype.Coverage(d.Coverage))
	m.SetProjectSignal(d.ProjectSignal)
	m.SetPolicyRevision(meta.Revision)
	m.SetPolicyHash(meta.Hash)
	m.SetQualifiedAt(now)
}

func upper(s string) string { return strings.ToUpper(s) }

// stageReason is the reason text of an automatic move: the policy's stage reasons.
func stageReason(d policy.LeadDecision) string {
	for _, r := range d.Reasons {
		if r.Points == 0 && len(r.Code) > 6 && r.Code[:6] == "STAGE_" {
			return r.Message
		}
	}
	return "recommended by the qualification policy"
}
