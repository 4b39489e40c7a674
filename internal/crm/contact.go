package crm

import (
	"context"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/contact"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/txn"
)

// CreateContact creates a contact; an email that exists is a conflict naming its holder. A phone
// without a country code is read in the account's country.
func (s *Service) CreateContact(ctx context.Context, in ent.CreateContactInput) (*ent.Contact, error) {
	var out *ent.Contact
	err := txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		if err := cleanContact(ctx, c, in.Email, in.Phone, in.AccountID, 0); err != nil {
			return err
		}
		ct, err := c.Contact.Create().SetInput(in).Save(ctx)
		if ent.IsConstraintError(err) {
			return checkEmailFree(ctx, s.client, in.Email, 0)
		} else if err != nil {
			return err
		}
		if out, err = keepContactLastActivity(ctx, c, ct); err != nil {
			return err
		}
		return s.requalify(ctx, c, Touched{ContactID: &ct.ID, AccountID: ct.AccountID})
	})
	return txn.Detach(out, err)
}

// UpdateContact updates a contact under the same rules.
func (s *Service) UpdateContact(ctx context.Context, id int, in ent.UpdateContactInput) (*ent.Contact, error) {
	var out *ent.Contact
	err := txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		cur, err := c.Contact.Get(ctx, id)
		if ent.IsNotFound(err) {
			return domainerr.NotFound("Contact", id)
		} else if err != nil {
			return err
		}
		accountID := cur.AccountID
		if in.AccountID != nil {
			accountID = in.AccountID
		}
		if err := cleanContact(ctx, c, in.Email, in.Phone, accountID, id); err != nil {
			return err
		}
		if out, err = c.Contact.UpdateOne(cur).SetInput(in).Save(ctx); err != nil {
			return err
		}
		if in.Email != nil || in.ClearEmail {
			if out, err = keepContactLastActivity(ctx, c, out); err != nil {
				return err
			}
		}
		return s.requalify(ctx, c, Touched{ContactID: &id, AccountID: out.AccountID})
	})
	return txn.Detach(out, err)
}

func cleanContact(ctx context.Context, c *ent.Client, email, phone *string, accountID *int, self int) error {
	if err := normalizeEmail(email, "input.email"); err != nil {
		return err
	}
	region := ""
	if phone != nil && accountID != nil {
		a, err := c.Account.Get(ctx, *accountID)
		if ent.IsNotFound(err) {
			return domainerr.Validation("input.accountID", "no such account")
		} else if err != nil {
			return err
		}
		region = a.Country
	}
	if err := normalizePhone(phone, region, "input.phone"); err != nil {
		return err
	}
	return checkEmailFree(ctx, c, email, self)
}

func checkEmailFree(ctx context.Context, c *ent.Client, email *string, self int) error {
	if email == nil {
		return nil
	}
	id, err := c.Contact.Query().Where(contact.Email(*email), contact.IDNEQ(self)).OnlyID(ctx)
	if found, err := exists(id, err); err != nil || !found {
		return err
	}
	return conflict("a contact", "email", *email, id)
}
