package crm

import (
	"context"

	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/contact"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/predicate"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/txn"
)

// CreateActivity records an engagement event on a lead or a contact and re-qualifies the leads
// it concerns in the same transaction.
func (s *Service) CreateActivity(ctx context.Context, in ent.CreateActivityInput) (*ent.Activity, error) {
	if in.LeadID == nil && in.ContactID == nil {
		return nil, domainerr.Validation("input.leadID", "an activity belongs to a lead or a contact")
	}
	var out *ent.Activity
	err := txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		a, err := c.Activity.Create().SetInput(in).Save(ctx)
		if err != nil {
			return err
		}
		out = a
		t := Touched{LeadID: a.LeadID, ContactID: a.ContactID}
		if a.LeadID != nil && s.requalifier != nil {
			t.LeadActivityAt = &a.OccurredAt // the lead's re-qualification raises its lastActivityAt
		} else if err := keepLastActivity(ctx, c, []*int{a.LeadID}, nil); err != nil {
			return err
		}
		if err := raiseContactsLastActivity(ctx, c, a); err != nil {
			return err
		}
		return s.requalify(ctx, c, t)
	})
	return txn.Detach(out, err)
}

// raiseContactsLastActivity raises lastActivityAt to a new activity's time on the contacts it
// concerns (its contact, and the contact with its lead's email), in one statement: an added
// activity can only make a person's latest activity later.
func raiseContactsLastActivity(ctx context.Context, tx *ent.Client, a *ent.Activity) error {
	var who []predicate.Contact
	if a.ContactID != nil {
		who = append(who, contact.ID(*a.ContactID))
	}
	if a.LeadID != nil {
		leadID := *a.LeadID
		who = append(who, func(s *sql.Selector) {
			l := sql.Table(lead.Table)
			s.Where(sql.In(s.C(contact.FieldEmail), sql.Select(l.C(lead.FieldEmail)).From(l).Where(sql.EQ(l.C(lead.FieldID), leadID))))
		})
	}
	if len(who) == 0 {
		return nil
	}
	return tx.Contact.Update().
		Where(contact.Or(who...), contact.Or(contact.LastActivityAtIsNil(), contact.LastActivityAtLT(a.OccurredAt))).
		SetLastActivityAt(a.OccurredAt).Exec(ctx)
}

// UpdateActivity corrects an activity (its kind, time or properties).
func (s *Service) UpdateActivity(ctx context.Context, id int, in ent.UpdateActivityInput) (*ent.Activity, error) {
	var out *ent.Activity
	err := txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		before, err := c.Activity.Get(ctx, id)
		if ent.IsNotFound(err) {
			return domainerr.NotFound("Activity", id)
		} else if err != nil {
			return err
		}
		a, err := c.Activity.UpdateOneID(id).SetInput(in).Save(ctx)
		if err != nil {
			return err
		}
		out = a
		if err := keepLastActivity(ctx, c, []*int{a.LeadID, before.LeadID}, []*int{a.ContactID, before.ContactID}); err != nil {
			return err
		}
		return s.requalify(ctx, c, Touched{LeadID: a.LeadID, ContactID: a.ContactID})
	})
	return txn.Detach(out, err)
}
