package crm

import (
	"context"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/user"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/txn"
)

// CreateUser creates a member of the revenue team; emails are unique.
func (s *Service) CreateUser(ctx context.Context, in ent.CreateUserInput) (*ent.User, error) {
	if err := normalizeEmail(&in.Email, "input.email"); err != nil {
		return nil, err
	}
	var out *ent.User
	err := txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		if err := checkUserEmailFree(ctx, c, in.Email, 0); err != nil {
			return err
		}
		u, err := c.User.Create().SetInput(in).Save(ctx)
		if ent.IsConstraintError(err) {
			return checkUserEmailFree(ctx, s.client, in.Email, 0)
		}
		out = u
		return err
	})
	return txn.Detach(out, err)
}

// UpdateUser updates a user.
func (s *Service) UpdateUser(ctx context.Context, id int, in ent.UpdateUserInput) (*ent.User, error) {
	if err := normalizeEmail(in.Email, "input.email"); err != nil {
		return nil, err
	}
	var out *ent.User
	err := txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		if in.Email != nil {
			if err := checkUserEmailFree(ctx, c, *in.Email, id); err != nil {
				return err
			}
		}
		u, err := c.User.UpdateOneID(id).SetInput(in).Save(ctx)
		if ent.IsNotFound(err) {
			return domainerr.NotFound("User", id)
		}
		out = u
		return err
	})
	return txn.Detach(out, err)
}

func checkUserEmailFree(ctx context.Context, c *ent.Client, email string, self int) error {
	id, err := c.User.Query().Where(user.Email(email), user.IDNEQ(self)).OnlyID(ctx)
	if found, err := exists(id, err); err != nil || !found {
		return err
	}
	return conflict("a user", "email", email, id)
}
