package lifecycle

import (
	"context"
	"strings"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/account"
	"github.com/qualify/qualify/ent/contact"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/normalize"
	"github.com/qualify/qualify/internal/txn"
)

// opportunityStage is the stage a conversion moves a lead into.
const opportunityStage = "opportunity"

// ConvertRequest turns a sales-qualified lead into an opportunity.
type ConvertRequest struct {
	LeadID          int
	OpportunityName string
	Amount          *float64
	// AccountName and AccountDomain name the company when the lead has no account yet.
	AccountName     *string
	AccountDomain   *string
	ExpectedVersion *int
}

// Conversion is what ConvertLead made or found.
type Conversion struct {
	Lead       *ent.Lead
	Transition *ent.StageTransition
	Account    *ent.Account
	Contact    *ent.Contact
}

// Convert moves a lead to opportunity as a CRM's lead conversion does: in one transaction it
// makes sure the lead's account exists (matched by domain, never duplicated) and its primary
// contact (matched by email, else created from the lead), links them, records the opportunity
// and asks the transition policy for the move, which decides whether the lead is ready.
func (s *Service) Convert(ctx context.Context, req ConvertRequest) (*Conversion, error) {
	if strings.TrimSpace(req.OpportunityName) == "" {
		return nil, domainerr.Validation("input.opportunityName", "must not be blank")
	}
	release, err := s.leadTurn(ctx, req.LeadID)
	if err != nil {
		return nil, err
	}
	defer release()
	var c Conversion
	err = txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		l, err := tx.Lead.Get(ctx, req.LeadID)
		if ent.IsNotFound(err) {
			return domainerr.NotFound("Lead", req.LeadID)
		} else if err != nil {
			return err
		}
		if c.Account, err = s.conversionAccount(ctx, tx, l, req); err != nil {
			return err
		}
		if c.Contact, err = conversionContact(ctx, tx, l, c.Account); err != nil {
			return err
		}
		linked := false
		if c.Contact != nil {
			if linked, err = l.QueryContacts().Where(contact.ID(c.Contact.ID)).Exist(ctx); err != nil {
				return err
			}
		}
		now := s.now()
		c.Lead, c.Transition, err = s.transitionTx(ctx, tx, TransitionRequest{
			LeadID: l.ID, To: opportunityStage, ExpectedVersion: req.ExpectedVersion,
			Reason: "converted to opportunity " + req.OpportunityName,
		}, func(m *ent.LeadMutation) {
			m.SetAccountID(c.Account.ID)
			m.SetOpportunityName(req.OpportunityName)
			m.SetConvertedAt(now)
			if req.Amount != nil {
				m.SetEstimatedValue(*req.Amount)
			}
			if c.Contact != nil && !linked {
				m.AddContactIDs(c.Contact.ID)
			}
		})
		return err
	})
	if err != nil {
		return nil, s.logRefusal(ctx, err)
	}
	c.Lead, c.Transition, c.Account = c.Lead.Unwrap(), c.Transition.Unwrap(), c.Account.Unwrap()
	if c.Contact != nil {
		c.Contact = c.Contact.Unwrap()
	}
	return &c, nil
}

// conversionAccount finds or creates the lead's account: its own, else by the given domain or
// its email's company domain, else a new one.
func (s *Service) conversionAccount(ctx context.Context, tx *ent.Client, l *ent.Lead, req ConvertRequest) (*ent.Account, error) {
	if l.AccountID != nil {
		return tx.Account.Get(ctx, *l.AccountID)
	}
	var domain string
	switch {
	case req.AccountDomain != nil:
		d, err := normalize.Domain(*req.AccountDomain)
		if err != nil {
			return nil, domainerr.Validation("input.accountDomain", err.Error())
		}
		domain = d
	case l.Email != nil:
		if d := (*l.Email)[strings.LastIndexByte(*l.Email, '@')+1:]; !freeMail[d] {
			domain = d
		}
	}
	if domain != "" {
		a, err := tx.Account.Query().Where(account.Domain(domain)).Only(ctx)
		if err == nil || !ent.IsNotFound(err) {
			return a, err
		}
	}
	name := l.CompanyName
	if req.AccountName != nil && strings.TrimSpace(*req.AccountName) != "" {
		name = strings.TrimSpace(*req.AccountName)
	}
	if name == "" {
		name = domain
	}
	if name == "" {
		return nil, domainerr.Validation("input.accountName", "the lead has no company: give accountName or accountDomain")
	}
	create := tx.Account.Create().SetName(name).SetCountry(l.Country)
	if domain != "" {
		create.SetDomain(domain)
	}
	return create.Save(ctx)
}

// conversionContact finds the contact with the lead's email or creates it from the lead, and
// makes sure it belongs to the account. A lead without email gets no contact.
func conversionContact(ctx context.Context, tx *ent.Client, l *ent.Lead, a *ent.Account) (*ent.Contact, error) {
	if l.Email == nil {
		return nil, nil
	}
	c, err := tx.Contact.Query().Where(contact.Email(*l.Email)).Only(ctx)
	switch {
	case err == nil && c.AccountID == nil:
		return c.Update().SetAccountID(a.ID).Save(ctx)
	case err == nil || !ent.IsNotFound(err):
		return c, err
	}
	last := l.LastName
	if last == "" {
		last = *l.Email
	}
	return tx.Contact.Create().
		SetFirstName(l.FirstName).SetLastName(last).SetEmail(*l.Email).
		SetNillablePhone(l.Phone).SetTitle(l.JobTitle).SetAccountID(a.ID).
		Save(ctx)
}
