package lifecycle

import (
	"context"
	"strings"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/account"
	"github.com/qualify/qualify/ent/contact"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/internal/principal"
)

// ImportRow is one row of an import: its lead input (normalized) and its row key.
type ImportRow struct {
	In  ent.CreateLeadInput
	Key string
}

// ImportMatch is what the leads of one batch of rows match, read in one query each for all of
// them instead of a query per row: leads imported before under their keys, accounts by email
// domain and contacts by email. ImportLead keeps it current as it creates leads.
type ImportMatch struct {
	leads    map[string]bool // row keys imported before
	accounts map[string]int  // domain → account id
	contacts map[string]int  // email → contact id
}

// MatchImport reads what the rows match, in the transaction of ctx when there is one (an
// import's batch).
func (s *Service) MatchImport(ctx context.Context, rows []ImportRow) (*ImportMatch, error) {
	c := s.client
	if tx := ent.TxFromContext(ctx); tx != nil {
		c = tx.Client()
	}
	// Keys, accounts and contacts are matched whoever imports: past the importer's row access.
	ctx = principal.With(ctx, principal.System)
	m := &ImportMatch{leads: map[string]bool{}, accounts: map[string]int{}, contacts: map[string]int{}}
	var keys, emails, domains []string
	for _, r := range rows {
		keys = append(keys, r.Key)
		if r.In.Email == nil {
			continue
		}
		emails = append(emails, *r.In.Email)
		if d := emailDomain(*r.In.Email); !freeMail[d] {
			domains = append(domains, d)
		}
	}
	if len(keys) > 0 {
		found, err := c.Lead.Query().Where(lead.IdempotencyScope(ImportScope), lead.IdempotencyKeyIn(keys...)).
			Select(lead.FieldIdempotencyKey).Strings(ctx)
		if err != nil {
			return nil, err
		}
		for _, k := range found {
			m.leads[k] = true
		}
	}
	if len(domains) > 0 {
		as, err := c.Account.Query().Where(account.DomainIn(domains...)).Select(account.FieldID, account.FieldDomain).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			if a.Domain != nil {
				m.accounts[*a.Domain] = a.ID
			}
		}
	}
	if len(emails) > 0 {
		cs, err := c.Contact.Query().Where(contact.EmailIn(emails...)).Select(contact.FieldID, contact.FieldEmail).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, ct := range cs {
			if ct.Email != nil {
				m.contacts[*ct.Email] = ct.ID
			}
		}
	}
	return m, nil
}

func emailDomain(email string) string { return email[strings.LastIndexByte(email, '@')+1:] }

// match links the account and contact m holds for the lead's email, as matchLead does with a
// query each.
func (m *ImportMatch) match(in *ent.CreateLeadInput) {
	if in.Email == nil {
		return
	}
	if id, ok := m.accounts[emailDomain(*in.Email)]; ok && in.AccountID == nil {
		in.AccountID = &id
	}
	if id, ok := m.contacts[*in.Email]; ok {
		for _, c := range in.ContactIDs {
			if c == id {
				return
			}
		}
		in.ContactIDs = append(in.ContactIDs, id)
	}
}
