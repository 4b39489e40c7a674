package lifecycle

import (
	"context"
	"fmt"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/stagetransition"
)

// actionPreviousOwner is the escalation action of config.schedule.activity_slas that hands a lead
// back to its previous owner (an SQL without a meeting goes back to its BDR). It is stored as
// REASSIGN with reassigned_to: the action says what was done, the rule why.
const actionPreviousOwner = "reassign_previous_owner"

// handBack gives the lead back to the owner it had before the current one: the newest owner on
// its stage history other than the current owner (the history records each move's owner, so the
// BDR who owned the SAL is found even after routing handed the SQL to an AE). It does not move
// the lead back a stage: the transition policy refuses automatic backward moves. Without such an
// owner, or when they are inactive, it says so and the owner stays.
func handBack(ctx context.Context, tx *ent.Client, l *ent.Lead, create *ent.LeadEscalationCreate) (string, error) {
	q := tx.StageTransition.Query().Where(stagetransition.LeadID(l.ID), stagetransition.OwnerIDNotNil())
	if l.OwnerID != nil {
		q.Where(stagetransition.OwnerIDNEQ(*l.OwnerID))
	}
	prev, err := q.Order(ent.Desc(stagetransition.FieldOccurredAt), ent.Desc(stagetransition.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return "no previous owner on the lead's stage history", nil
	}
	if err != nil {
		return "", err
	}
	u, err := tx.User.Get(ctx, *prev.OwnerID)
	if err != nil {
		return "", err
	}
	if !u.Active {
		return fmt.Sprintf("previous owner %s is inactive", u.Name), nil
	}
	if err := tx.Lead.UpdateOneID(l.ID).SetOwnerID(u.ID).AddVersion(1).Exec(ctx); err != nil {
		return "", err
	}
	create.SetReassignedTo(u.ID)
	return "", nil
}
