package normalize

import (
	"errors"
	"strings"

	"golang.org/x/text/language"
)

// Sales regions as the policy data names them (data.qualify.config.fit.regions) and the
// account's region enum upper-cases them.
const (
	RegionEMEA  = "EMEA"
	RegionNA    = "NA"
	RegionLATAM = "LATAM"
	RegionAPAC  = "APAC"
)

// regionAreas maps each sales region to UN M.49 areas; the countries in them come from CLDR
// (golang.org/x/text/language), not from a table of ours. Order matters: Western and Central
// Asia are EMEA, checked before the rest of Asia is APAC; Mexico and the Caribbean sit in
// Latin America (419), not in Northern America (021).
var regionAreas = []struct {
	region string
	areas  []language.Region
}{
	{RegionNA, regions("021")},
	{RegionLATAM, regions("419")},
	{RegionEMEA, regions("150", "002", "145", "143")},
	{RegionAPAC, regions("142", "009")},
}

func regions(codes ...string) []language.Region {
	out := make([]language.Region, len(codes))
	for i, c := range codes {
		out[i] = language.MustParseRegion(c)
	}
	return out
}

// Country validates an ISO 3166-1 alpha-2 code, any case, and returns it upper-cased. Codes
// ISO has retired or reserved for another (UK, FX) become the assigned one (GB, FR); private
// use codes (XX, ZZ, QO…), groupings (EU, UN) and numbers are refused.
func Country(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) != 2 || !isLetters(s) {
		return "", errors.New("not an ISO 3166-1 alpha-2 country code (two letters, such as DE or GB)")
	}
	r, err := language.ParseRegion(s)
	if err == nil {
		r = r.Canonicalize()
	}
	if err != nil || !r.IsCountry() || r.IsPrivateUse() || r.ISO3() == "" {
		return "", errors.New("not an assigned ISO 3166-1 alpha-2 country code")
	}
	return r.String(), nil
}

// Region returns the sales region of a country code that Country accepted, or "" for one no
// region contains (none of the assigned codes today).
func Region(country string) string {
	r, err := language.ParseRegion(country)
	if err != nil {
		return ""
	}
	for _, ra := range regionAreas {
		for _, a := range ra.areas {
			if a.Contains(r) {
				return ra.region
			}
		}
	}
	return ""
}

func isLetters(s string) bool {
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}
