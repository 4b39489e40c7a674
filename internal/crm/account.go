package crm

import (
	"context"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/account"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/normalize"
	"github.com/qualify/qualify/internal/txn"
)

// CreateAccount creates an account; a domain that normalizes to a stored one is a conflict. The
// industry must be in the policy's vocabulary (or a synonym of a key), the country ISO 3166-1
// alpha-2; the region follows from the country.
func (s *Service) CreateAccount(ctx context.Context, in ent.CreateAccountInput) (*ent.Account, error) {
	if err := normalizeDomain(in.Domain); err != nil {
		return nil, err
	}
	if err := s.normalizeIndustry(in.Industry); err != nil {
		return nil, err
	}
	if err := accountGeo(in.Country, &in.Region, ""); err != nil {
		return nil, err
	}
	var out *ent.Account
	err := txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		if err := checkDomainFree(ctx, c, in.Domain, 0); err != nil {
			return err
		}
		a, err := c.Account.Create().SetInput(in).Save(ctx)
		if ent.IsConstraintError(err) {
			return checkDomainFree(ctx, s.client, in.Domain, 0)
		}
		out = a
		return err
	})
	return txn.Detach(out, err)
}

// UpdateAccount updates an account under the same domain rules.
func (s *Service) UpdateAccount(ctx context.Context, id int, in ent.UpdateAccountInput) (*ent.Account, error) {
	if err := normalizeDomain(in.Domain); err != nil {
		return nil, err
	}
	var out *ent.Account
	if err := s.normalizeIndustry(in.Industry); err != nil {
		return nil, err
	}
	err := txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		stored, err := storedCountry(ctx, c, id, &in)
		if err != nil {
			return err
		}
		if err := accountGeo(in.Country, &in.Region, stored); err != nil {
			return err
		}
		if err := checkDomainFree(ctx, c, in.Domain, id); err != nil {
			return err
		}
		a, err := c.Account.UpdateOneID(id).SetInput(in).Save(ctx)
		if ent.IsNotFound(err) {
			return domainerr.NotFound("Account", id)
		} else if err != nil {
			return err
		}
		out = a
		return s.requalify(ctx, c, Touched{AccountID: &id})
	})
	return txn.Detach(out, err)
}

func normalizeDomain(p *string) error {
	if p == nil {
		return nil
	}
	d, err := normalize.Domain(*p)
	if err != nil {
		return domainerr.Validation("input.domain", err.Error())
	}
	*p = d
	return nil
}

// checkDomainFree returns a conflict when another account than self holds domain.
func checkDomainFree(ctx context.Context, c *ent.Client, domain *string, self int) error {
	if domain == nil {
		return nil
	}
	id, err := c.Account.Query().Where(account.Domain(*domain), account.IDNEQ(self)).OnlyID(ctx)
	if found, err := exists(id, err); err != nil || !found {
		return err
	}
	return conflict("an account", "domain", *domain, id)
}
