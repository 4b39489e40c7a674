package sla

import (
	"context"

	"entgo.io/contrib/entgql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/leadescalation"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/principal"
	"github.com/qualify/qualify/internal/txn"
)

// Flagged lists, newest first, the escalations that flag userID (as an owner's manager); open
// keeps the unacknowledged only.
func (s *Service) Flagged(ctx context.Context, userID int, open bool, after *ent.Cursor, first *int, before *ent.Cursor, last *int) (*ent.LeadEscalationConnection, error) {
	q := s.client.LeadEscalation.Query().Where(leadescalation.FlaggedUserID(userID))
	if open {
		q.Where(leadescalation.AcknowledgedAtIsNil())
	}
	return q.Paginate(ctx, after, first, before, last, ent.WithLeadEscalationOrder(&ent.LeadEscalationOrder{
		Direction: entgql.OrderDirectionDesc, Field: ent.LeadEscalationOrderFieldEscalatedAt,
	}))
}

// Acknowledge records that the flagged manager has seen escalation id. Only that manager may;
// a second acknowledgement keeps the first one's time and person.
func (s *Service) Acknowledge(ctx context.Context, id int) (*ent.LeadEscalation, error) {
	p, _ := principal.From(ctx)
	var out *ent.LeadEscalation
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		e, err := tx.LeadEscalation.Get(ctx, id)
		if ent.IsNotFound(err) {
			return domainerr.NotFound("LeadEscalation", id)
		}
		if err != nil {
			return err
		}
		if e.FlaggedUserID == nil || p.UserID == 0 || *e.FlaggedUserID != p.UserID {
			return &domainerr.ForbiddenError{Operation: "acknowledgeEscalation", Reason: "only the manager the escalation flags may acknowledge it"}
		}
		// Conditional, so that of two concurrent acknowledgements the first one stays.
		if err := tx.LeadEscalation.Update().Where(leadescalation.ID(id), leadescalation.AcknowledgedAtIsNil()).
			SetAcknowledgedAt(s.now()).SetAcknowledgedByID(p.UserID).Exec(ctx); err != nil {
			return err
		}
		out, err = tx.LeadEscalation.Get(ctx, id)
		return err
	})
	return txn.Detach(out, err)
}
