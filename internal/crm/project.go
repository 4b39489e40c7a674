package crm

import (
	"context"
	"fmt"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/contact"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/txn"
)

// CreateProject records an identified project; its key contacts must work at its account.
func (s *Service) CreateProject(ctx context.Context, in ent.CreateProjectInput) (*ent.Project, error) {
	if err := checkDates(in.StartsAt != nil && in.EndsAt != nil && in.EndsAt.Before(*in.StartsAt)); err != nil {
		return nil, err
	}
	var out *ent.Project
	err := txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		if err := checkKeyContacts(ctx, c, in.AccountID, in.KeyContactIDs); err != nil {
			return err
		}
		p, err := c.Project.Create().SetInput(in).Save(ctx)
		out = p
		return err
	})
	return txn.Detach(out, err)
}

// UpdateProject updates a project under the same rules.
func (s *Service) UpdateProject(ctx context.Context, id int, in ent.UpdateProjectInput) (*ent.Project, error) {
	var out *ent.Project
	err := txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		cur, err := c.Project.Get(ctx, id)
		if ent.IsNotFound(err) {
			return domainerr.NotFound("Project", id)
		} else if err != nil {
			return err
		}
		accountID := cur.AccountID
		if in.AccountID != nil {
			accountID = *in.AccountID
		}
		starts, ends := cur.StartsAt, cur.EndsAt
		if in.StartsAt != nil {
			starts = in.StartsAt
		}
		if in.EndsAt != nil {
			ends = in.EndsAt
		}
		if err := checkDates(starts != nil && ends != nil && ends.Before(*starts)); err != nil {
			return err
		}
		if err := checkKeyContacts(ctx, c, accountID, in.AddKeyContactIDs); err != nil {
			return err
		}
		out, err = c.Project.UpdateOne(cur).SetInput(in).Save(ctx)
		return err
	})
	return txn.Detach(out, err)
}

func checkDates(endsBeforeStart bool) error {
	if endsBeforeStart {
		return domainerr.Validation("input.endsAt", "a project cannot end before it starts")
	}
	return nil
}

func checkKeyContacts(ctx context.Context, c *ent.Client, accountID int, ids []int) error {
	if len(ids) == 0 {
		return nil
	}
	n, err := c.Contact.Query().Where(contact.IDIn(ids...), contact.AccountID(accountID)).Count(ctx)
	if err != nil {
		return err
	}
	if n != len(ids) {
		return domainerr.Validation("input.keyContactIDs",
			fmt.Sprintf("%d of %d key contacts do not work at the project's account", len(ids)-n, len(ids)))
	}
	return nil
}
