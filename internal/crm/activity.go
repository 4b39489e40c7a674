package crm

import (
	"context"

	"github.com/qualify/qualify/ent"
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
		if err := keepLastActivity(ctx, c, []*int{a.LeadID}, []*int{a.ContactID}); err != nil {
			return err
		}
		return s.requalify(ctx, c, Touched{LeadID: a.LeadID, ContactID: a.ContactID})
	})
	return txn.Detach(out, err)
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
