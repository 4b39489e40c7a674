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
		if err := checkManager(ctx, c, in.ManagerID, 0); err != nil {
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
		if err := checkManager(ctx, c, in.ManagerID, id); err != nil {
			return err
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

// checkManager refuses a manager that does not exist or whose chain of managers leads back to
// self: escalations flag a manager, and a cycle would make "the owner's manager" the owner.
func checkManager(ctx context.Context, c *ent.Client, managerID *int, self int) error {
	if managerID == nil {
		return nil
	}
	seen := map[int]bool{}
	for id := *managerID; ; {
		if id == self {
			return domainerr.Validation("input.managerID", "a user cannot be their own manager, directly or through others")
		}
		if seen[id] { // a cycle above self, left from before: not ours to judge
			return nil
		}
		seen[id] = true
		u, err := c.User.Query().Where(user.ID(id)).Select(user.FieldManagerID).Only(ctx)
		if ent.IsNotFound(err) {
			if id == *managerID {
				return domainerr.Validation("input.managerID", "no such user")
			}
			return nil
		}
		if err != nil {
			return err
		}
		if u.ManagerID == nil {
			return nil
		}
		id = *u.ManagerID
	}
}
