package lifecycle

import (
	"context"
	"fmt"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/policy"
)

// plannedMove is an allowed stage change, applied to the lead's UPDATE and then recorded as a
// StageTransition row in the same transaction.
type plannedMove struct {
	lead       *ent.Lead
	from, to   *ent.Stage
	trigger    stagetransition.Trigger
	actorKind  stagetransition.ActorKind
	actorID    *int
	reasonCode string
	reason     string
	meta       policy.Meta
	assignTo   *int // owner picked by routing
	// routingTeam, routingCode and routingReason say which team took the lead at a handoff
	// stage and why, or why no one did.
	routingTeam, routingCode, routingReason string
}

// apply sets the stage fields on the lead's update.
func (m *plannedMove) apply(u *ent.LeadMutation, f *funnel, now time.Time) {
	u.SetStageID(m.to.ID)
	u.SetStageEnteredAt(now)
	u.SetFurthestStageID(f.furthest(m.lead.FurthestStageID, m.to))
	if m.assignTo != nil {
		u.SetOwnerID(*m.assignTo)
	}
}

// record appends the history row of the move and announces it: the publisher delivers the event
// only once the transaction commits.
func (s *Service) record(ctx context.Context, tx *ent.Client, m *plannedMove, now time.Time) (*ent.StageTransition, error) {
	owner := m.lead.OwnerID
	if m.assignTo != nil {
		owner = m.assignTo
	}
	tr, err := tx.StageTransition.Create().
		SetLeadID(m.lead.ID).
		SetFromStageID(m.from.ID).
		SetToStageID(m.to.ID).
		SetOccurredAt(now).
		SetFromEnteredAt(m.lead.StageEnteredAt).
		SetNillableActorID(m.actorID).
		SetActorKind(m.actorKind).
		SetTrigger(m.trigger).
		SetReasonCode(m.reasonCode).
		SetReason(m.reason).
		SetPolicyRevision(m.meta.Revision).
		SetPolicyHash(m.meta.Hash).
		SetDecisionID(m.meta.DecisionID).
		SetNillableAssignedOwnerID(m.assignTo).
		SetRoutingTeam(m.routingTeam).
		SetRoutingCode(m.routingCode).
		SetRoutingReason(m.routingReason).
		SetNillableOwnerID(owner).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	ev := Event{
		LeadID: m.lead.ID, TransitionID: tr.ID, From: m.from.Key, To: m.to.Key,
		Trigger: string(m.trigger), OwnerID: owner, At: now,
	}
	for _, h := range s.hooks {
		if err := h(ctx, tx, tr); err != nil {
			return nil, err
		}
	}
	if s.publisher != nil {
		if err := s.publisher.Publish(ctx, tx, ev); err != nil {
			return nil, fmt.Errorf("announce transition: %w", err)
		}
	}
	return tr, nil
}

// staleVersion is the conflict of a write that found the lead changed since it was read.
func staleVersion(ctx context.Context, c *ent.Client, id, expected int) error {
	cur, err := c.Lead.Query().Where(lead.ID(id)).Select(lead.FieldVersion).Only(ctx)
	if err != nil {
		return err
	}
	return &domainerr.ConflictError{
		Message:        "the lead was changed by someone else; reload it and try again",
		Field:          "expectedVersion",
		CurrentVersion: cur.Version,
	}
}
