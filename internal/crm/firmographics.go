package crm

import (
	"context"
	"fmt"
	"strings"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/account"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/normalize"
)

// Vocabulary supplies the closed industry vocabulary of the active policy (policy.Engine); nil
// before a policy is active.
type Vocabulary interface {
	Industries() *normalize.Industries
}

// Option configures a Service.
type Option func(*Service)

// WithVocabulary holds account industries to the policy's vocabulary. Without it industries are
// only brought to key form (tools and tests without a policy).
func WithVocabulary(v Vocabulary) Option { return func(s *Service) { s.vocab = v } }

// normalizeIndustry brings *p to the vocabulary's key, or refuses it.
func (s *Service) normalizeIndustry(p *string) error {
	if p == nil {
		return nil
	}
	var v *normalize.Industries
	if s.vocab != nil {
		v = s.vocab.Industries()
	}
	if v == nil {
		*p = normalize.IndustryKey(*p)
		return nil
	}
	k, err := v.Industry(*p)
	if err != nil {
		return domainerr.Validation("input.industry", err.Error())
	}
	*p = k
	return nil
}

// NormalizeCountry validates *p as ISO 3166-1 alpha-2 and upper-cases it in place; "" (unknown)
// stays "". field is the input path for errors.
func NormalizeCountry(p *string, field string) error {
	if p == nil || strings.TrimSpace(*p) == "" {
		if p != nil {
			*p = ""
		}
		return nil
	}
	c, err := normalize.Country(*p)
	if err != nil {
		return domainerr.Validation(field, err.Error())
	}
	*p = c
	return nil
}

// accountGeo normalizes an account's country and derives its region from it. A region sent
// with (or against the stored) country must be the country's: the policy routes and scores
// by region, so the two may not disagree. stored is the account's current country on update.
func accountGeo(country *string, region **account.Region, stored string) error {
	if err := NormalizeCountry(country, "input.country"); err != nil {
		return err
	}
	c := stored
	if country != nil {
		c = *country
	}
	if c == "" {
		return nil
	}
	derived := account.Region(normalize.Region(c))
	if derived == "" {
		return nil
	}
	if *region != nil && **region != derived {
		return domainerr.Validation("input.region", fmt.Sprintf(
			"region %s does not match country %s, which is in %s; leave region out: it is derived from the country", **region, c, derived))
	}
	if country != nil || *region != nil {
		*region = &derived
	}
	return nil
}

// storedCountry is the account's country, for an update that sends a region without one.
func storedCountry(ctx context.Context, c *ent.Client, id int, in *ent.UpdateAccountInput) (string, error) {
	if in.Region == nil || in.Country != nil {
		return "", nil
	}
	a, err := c.Account.Query().Where(account.ID(id)).Select(account.FieldCountry).Only(ctx)
	if ent.IsNotFound(err) {
		return "", domainerr.NotFound("Account", id)
	}
	if err != nil {
		return "", err
	}
	return a.Country, nil
}
