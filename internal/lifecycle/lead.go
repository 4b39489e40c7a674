package lifecycle

import (
	"context"
	"strings"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/account"
	"github.com/qualify/qualify/ent/contact"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/crm"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/principal"
	"github.com/qualify/qualify/internal/txn"
)

// freeMail are mailbox providers whose domain says nothing about the lead's company.
var freeMail = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "yahoo.com": true, "outlook.com": true, "hotmail.com": true,
	"live.com": true, "icloud.com": true, "aol.com": true, "gmx.de": true, "gmx.net": true, "web.de": true,
	"proton.me": true, "protonmail.com": true, "mail.com": true, "yandex.com": true,
}

// CreateLead creates a lead in the funnel's entry stage, with its first history row, and
// qualifies it. An idempotency key is the caller's (principal.Subject): the same caller sending
// the same key and input again gets the first lead; the same key with another input is
// refused (IDEMPOTENCY_KEY_REUSED); another caller's key is another key. A lead without an
// account is matched to the account of its email's company domain and to the contact with its
// email, never duplicating them.
func (s *Service) CreateLead(ctx context.Context, in ent.CreateLeadInput, idempotencyKey *string) (*ent.Lead, error) {
	var idem *idempotency
	if idempotencyKey != nil {
		if *idempotencyKey = strings.TrimSpace(*idempotencyKey); *idempotencyKey == "" {
			return nil, domainerr.Validation("idempotencyKey", "must not be blank")
		}
		idem = newIdempotency(ctx, *idempotencyKey, in)
		if l, err := s.replay(ctx, idem); l != nil || err != nil {
			return l, err
		}
	}
	out, err := s.createLead(ctx, in, idempotencyKey, idem, nil, stagetransition.TriggerAPI, stagetransition.TriggerAUTO)
	if ent.IsConstraintError(err) && idem != nil {
		// A concurrent request of the same caller with the same key won the race: answer as a replay.
		if l, lerr := s.replay(ctx, idem); l != nil || lerr != nil {
			return l, lerr
		}
	}
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// ImportScope is the idempotency scope of imported leads: one row key is one lead, whoever
// imports the file and however (CLI or API).
const ImportScope = "import"

// ImportLead creates the lead of an import row with trigger IMPORT (its first history row and
// its qualification), keyed by rowKey: when a lead was imported under the key before, created
// is false and nothing is written. Matching and normalization are CreateLead's; m, if not nil,
// is what the row's batch matches (MatchImport), which saves the row its own lookups.
func (s *Service) ImportLead(ctx context.Context, in ent.CreateLeadInput, rowKey string, m *ImportMatch) (created bool, err error) {
	c := s.client
	if tx := ent.TxFromContext(ctx); tx != nil {
		c = tx.Client() // an import's batch (txn.Batch): rows it created before are not committed yet
	}
	find := func() (bool, error) {
		// A key is one lead whoever imported it: looked up past the importer's row access.
		return c.Lead.Query().Where(lead.IdempotencyScope(ImportScope), lead.IdempotencyKey(rowKey)).
			Exist(principal.With(ctx, principal.System))
	}
	if m != nil {
		if m.leads[rowKey] {
			return false, nil
		}
	} else if found, err := find(); found || err != nil {
		return false, err
	}
	idem := &idempotency{key: rowKey, scope: ImportScope}
	_, err = s.createLead(ctx, in, &rowKey, idem, m, stagetransition.TriggerIMPORT, stagetransition.TriggerIMPORT)
	if ent.IsConstraintError(err) { // imported meanwhile by another run
		if found, ferr := find(); found || ferr != nil {
			return false, ferr
		}
	}
	if err != nil {
		return false, err
	}
	if m != nil {
		m.leads[rowKey] = true
	}
	return true, nil
}

// createLead writes a new lead, its first history row (trigger first) and its qualification
// (trigger qualify) in one transaction, and returns the lead as it stored it. With m (an
// import's batch) the lead is matched from m, and not read back: nil is returned.
func (s *Service) createLead(ctx context.Context, in ent.CreateLeadInput, idempotencyKey *string, idem *idempotency, m *ImportMatch, first, qualify stagetransition.Trigger) (*ent.Lead, error) {
	var out *ent.Lead
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		if err := s.matchLead(ctx, tx, &in, m); err != nil {
			return err
		}
		f, err := s.funnel(ctx, tx)
		if err != nil {
			return err
		}
		now := s.now()
		l, err := tx.Lead.Create().SetInput(in).
			SetStageID(f.first.ID).SetFurthestStageID(f.first.ID).
			SetStageEnteredAt(now).SetCreatedAt(now).
			SetNillableIdempotencyKey(idempotencyKey).
			SetNillableIdempotencyScope(idem.scopeOrNil()).SetNillableIdempotencyHash(idem.hashOrNil()).
			Save(ctx)
		if err != nil {
			return err
		}
		actor, _ := principal.From(ctx)
		var actorID *int
		if actor.UserID != 0 {
			actorID = &actor.UserID
		}
		tr, err := tx.StageTransition.Create().
			SetLeadID(l.ID).SetToStageID(f.first.ID).SetOccurredAt(now).
			SetNillableActorID(actorID).SetActorKind(actorKind(actor)).
			SetTrigger(first).SetReason("lead created").SetNillableOwnerID(l.OwnerID).
			Save(ctx)
		if err != nil {
			return err
		}
		for _, h := range s.hooks {
			if err := h(ctx, tx, tr); err != nil {
				return err
			}
		}
		// The row just created is the lead's: no one else can see it, let alone change it.
		if err := s.qualifyRow(ctx, tx, f, l, qualify); err != nil {
			return err
		}
		if m != nil {
			return nil
		}
		out, err = tx.Lead.Get(ctx, l.ID)
		return err
	})
	return out, err
}

// matchLead cleans the lead's email and phone and links the existing account and contact the
// email points at: those m holds when it is not nil, else read.
func (s *Service) matchLead(ctx context.Context, tx *ent.Client, in *ent.CreateLeadInput, m *ImportMatch) error {
	country := ""
	if in.Country != nil {
		country = *in.Country
	}
	if in.Phone != nil && in.AccountID != nil && country == "" {
		if a, err := tx.Account.Get(ctx, *in.AccountID); err == nil {
			country = a.Country
		}
	}
	if err := crm.NormalizeLeadContactData(in.Email, in.Phone, in.Country, country); err != nil {
		return err
	}
	if in.Email == nil {
		return nil
	}
	if m != nil {
		m.match(in)
		return nil
	}
	email := *in.Email
	if in.AccountID == nil {
		if domain := email[strings.LastIndexByte(email, '@')+1:]; !freeMail[domain] {
			id, err := tx.Account.Query().Where(account.Domain(domain)).OnlyID(ctx)
			if err == nil {
				in.AccountID = &id
			} else if !ent.IsNotFound(err) {
				return err
			}
		}
	}
	id, err := tx.Contact.Query().Where(contact.Email(email)).OnlyID(ctx)
	switch {
	case err == nil:
		for _, c := range in.ContactIDs {
			if c == id {
				return nil
			}
		}
		in.ContactIDs = append(in.ContactIDs, id)
	case !ent.IsNotFound(err):
		return err
	}
	return nil
}

// UpdateLead changes a lead's data and re-qualifies it in the same transaction. With
// expectedVersion set, a lead changed since is a conflict carrying its current version.
func (s *Service) UpdateLead(ctx context.Context, id int, in ent.UpdateLeadInput, expectedVersion *int) (*ent.Lead, error) {
	release, err := s.leadTurn(ctx, id)
	if err != nil {
		return nil, err
	}
	defer release()
	var out *ent.Lead
	err = txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		cur, err := leadRow(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if expectedVersion != nil && *expectedVersion != cur.Version {
			return &domainerr.ConflictError{
				Message: "the lead was changed by someone else; reload it and try again",
				Field:   "expectedVersion", CurrentVersion: cur.Version,
			}
		}
		if err := crm.NormalizeLeadContactData(in.Email, in.Phone, in.Country, cur.Country); err != nil {
			return err
		}
		n, err := tx.Lead.Update().Where(lead.ID(id), lead.Version(cur.Version)).
			SetInput(in).AddVersion(1).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return staleVersion(ctx, tx, id, cur.Version)
		}
		if in.Email != nil || in.ClearEmail {
			// Another email is another person: the contacts of both emails recount.
			var emails []string
			for _, e := range []*string{cur.Email, in.Email} {
				if e != nil {
					emails = append(emails, *e)
				}
			}
			if err := crm.KeepContactsOfEmails(ctx, tx, emails...); err != nil {
				return err
			}
		}
		f, err := s.funnel(ctx, tx)
		if err != nil {
			return err
		}
		if err := s.qualify(ctx, tx, f, id, stagetransition.TriggerAUTO); err != nil {
			return err
		}
		out, err = tx.Lead.Get(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}
