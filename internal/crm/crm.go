// Package crm creates and updates the records around leads (users, accounts, contacts, projects,
// activities) with clean input: normalized emails, phones and domains, and no duplicates.
package crm

import (
	"context"
	"strconv"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/normalize"
)

// Touched names the records a write changed, so the leads that depend on them can be
// re-qualified.
type Touched struct {
	AccountID *int
	ContactID *int
	LeadID    *int
	// LeadActivityAt: an activity at this time was added to LeadID. The requalifier raises the
	// lead's lastActivityAt to it in the lead's own UPDATE, which saves a statement per activity.
	LeadActivityAt *time.Time
}

// Requalifier re-evaluates the leads behind a change inside the change's transaction (tx), so a
// change and the decisions it causes commit together.
type Requalifier interface {
	Requalify(ctx context.Context, tx *ent.Client, t Touched) error
}

// Service writes CRM records. Every method runs in one transaction.
type Service struct {
	client      *ent.Client
	requalifier Requalifier
	vocab       Vocabulary
}

// New returns a Service over client; r may be nil when no policy is wired (tests, tools).
func New(client *ent.Client, r Requalifier, opts ...Option) *Service {
	s := &Service{client: client, requalifier: r}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *Service) requalify(ctx context.Context, tx *ent.Client, t Touched) error {
	if s.requalifier == nil {
		return nil
	}
	return s.requalifier.Requalify(ctx, tx, t)
}

// normalizeEmail normalizes *p in place; field is the input path for errors.
func normalizeEmail(p *string, field string) error {
	if p == nil {
		return nil
	}
	v, err := normalize.Email(*p)
	if err != nil {
		return domainerr.Validation(field, err.Error())
	}
	*p = v
	return nil
}

// normalizePhone normalizes *p in place with region as the default country.
func normalizePhone(p *string, region, field string) error {
	if p == nil {
		return nil
	}
	v, err := normalize.Phone(*p, region)
	if err != nil {
		return domainerr.Validation(field, err.Error())
	}
	*p = v
	return nil
}

// NormalizeLeadContactData normalizes a lead's country, email and phone in place; the phone's
// default country is the input's, else fallbackCountry. The lifecycle package uses it so leads
// and contacts share one definition of clean input.
func NormalizeLeadContactData(email, phone, country *string, fallbackCountry string) error {
	if err := NormalizeCountry(country, "input.country"); err != nil {
		return err
	}
	if country != nil && *country != "" {
		fallbackCountry = *country
	}
	if err := normalizeEmail(email, "input.email"); err != nil {
		return err
	}
	return normalizePhone(phone, fallbackCountry, "input.phone")
}

// conflict names the node that already holds a unique value.
func conflict(typ, field, value string, existingID int) error {
	return &domainerr.ConflictError{
		Message:    typ + " with " + field + " " + strconv.Quote(value) + " exists already",
		Field:      "input." + field,
		ExistingID: strconv.Itoa(existingID),
	}
}

// exists reports an ent query error other than not-found, or whether the row exists.
func exists(id int, err error) (bool, error) {
	if ent.IsNotFound(err) {
		return false, nil
	}
	return err == nil && id != 0, err
}
