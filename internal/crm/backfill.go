package crm

import (
	"context"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/account"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/internal/normalize"
	"github.com/qualify/qualify/internal/txn"
)

// Backfilled counts the stored rows NormalizeStored changed, and the values it could not map.
type Backfilled struct {
	Accounts, Leads int
	// Unmapped lists stored industries and countries that are neither valid nor a synonym; they
	// are left as they are for a person to fix (input is refused, stored data is not dropped).
	Unmapped []string
}

// NormalizeStored brings rows written before input was normalized to the stored form: industries
// to the policy's vocabulary, countries upper-case ISO 3166-1, regions derived from the country.
// It works per distinct value (a handful of statements, whatever the row count) and is
// idempotent, so the server runs it at every start. Changed accounts' leads keep their scores
// until re-qualified (`qualify policy requalify`).
func (s *Service) NormalizeStored(ctx context.Context) (Backfilled, error) {
	var out Backfilled
	err := txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		out = Backfilled{}
		industries, err := c.Account.Query().Unique(true).Select(account.FieldIndustry).Strings(ctx)
		if err != nil {
			return err
		}
		for _, v := range industries {
			k := v
			if err := s.normalizeIndustry(&k); err != nil {
				out.Unmapped = append(out.Unmapped, "industry "+v)
				continue
			}
			if k != v {
				n, err := c.Account.Update().Where(account.Industry(v)).SetIndustry(k).Save(ctx)
				if err != nil {
					return err
				}
				out.Accounts += n
			}
		}
		countries, err := c.Account.Query().Unique(true).Select(account.FieldCountry).Strings(ctx)
		if err != nil {
			return err
		}
		for _, v := range countries {
			cc, ok := backfillCountry(v, &out)
			if !ok || cc == "" {
				continue
			}
			r := account.Region(normalize.Region(cc))
			n, err := c.Account.Update().
				Where(account.Country(v), account.Or(account.CountryNEQ(cc), account.RegionIsNil(), account.RegionNEQ(r))).
				SetCountry(cc).SetRegion(r).Save(ctx)
			if err != nil {
				return err
			}
			out.Accounts += n
		}
		countries, err = c.Lead.Query().Unique(true).Select(lead.FieldCountry).Strings(ctx)
		if err != nil {
			return err
		}
		for _, v := range countries {
			if cc, ok := backfillCountry(v, &out); ok && cc != v {
				n, err := c.Lead.Update().Where(lead.Country(v)).SetCountry(cc).Save(ctx)
				if err != nil {
					return err
				}
				out.Leads += n
			}
		}
		return nil
	})
	return out, err
}

// backfillCountry is the normalized form of a stored country; an invalid one is noted, not changed.
func backfillCountry(v string, out *Backfilled) (string, bool) {
	cc := v
	if err := NormalizeCountry(&cc, "country"); err != nil {
		out.Unmapped = append(out.Unmapped, "country "+v)
		return "", false
	}
	return cc, true
}
