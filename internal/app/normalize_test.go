package app_test

import (
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// Input is stored the way the policy keys on it: an industry of the bundle's vocabulary (any
// case, or a synonym), an upper-case ISO country, and the region that country lies in.
func TestFirmographicsAreNormalizedToThePolicyVocabulary(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		type account struct{ ID, Industry, Country, Region string }
		var acc struct{ CreateAccount account }
		api.Data(t, `mutation { createAccount(input: {name: "Brit Mfg", industry: "Manufacturing", country: "gb", employeeCount: 250}) { id industry country region } }`, nil, &acc)
		if got := acc.CreateAccount; got.Industry != "manufacturing" || got.Country != "GB" || got.Region != "EMEA" {
			t.Fatalf("account = %+v, want manufacturing, GB, EMEA", got)
		}

		// The lead of that account scores the industry and the region.
		var lead struct {
			CreateLead struct {
				Country       string
				Qualification struct {
					FitScore int
					Reasons  []struct {
						Code   string
						Points int
					}
				}
			}
		}
		api.Data(t, `mutation($a: ID!) { createLead(input: {lastName: "Smith", country: "gb", source: WEB_FORM, accountID: $a}) { country qualification { fitScore reasons { code points } } } }`,
			map[string]any{"a": acc.CreateAccount.ID}, &lead)
		pts := map[string]int{}
		for _, r := range lead.CreateLead.Qualification.Reasons {
			pts[r.Code] = r.Points
		}
		if lead.CreateLead.Country != "GB" || pts["FIT_INDUSTRY"] != 15 || pts["FIT_REGION"] != 5 {
			t.Errorf("lead country %q, fit reasons %v; want GB, FIT_INDUSTRY 15, FIT_REGION 5", lead.CreateLead.Country, pts)
		}

		var syn struct{ CreateAccount account }
		api.Data(t, `mutation { createAccount(input: {name: "Synonym", industry: "MFG", country: "US"}) { id industry country region } }`, nil, &syn)
		if got := syn.CreateAccount; got.Industry != "manufacturing" || got.Region != "NA" {
			t.Errorf("synonym account = %+v, want manufacturing in NA", got)
		}
		var upd struct{ UpdateAccount account }
		api.Data(t, `mutation($id: ID!) { updateAccount(id: $id, input: {country: "jp", industry: "Industrial Machinery"}) { id industry country region } }`,
			map[string]any{"id": syn.CreateAccount.ID}, &upd)
		if got := upd.UpdateAccount; got.Industry != "industrial_machinery" || got.Country != "JP" || got.Region != "APAC" {
			t.Errorf("updated account = %+v, want industrial_machinery, JP, APAC", got)
		}

		refused := []struct{ name, query, field string }{
			{"unknown industry", `mutation { createAccount(input: {name: "X", industry: "basket weaving"}) { id } }`, "input.industry"},
			{"not a country", `mutation { createAccount(input: {name: "X", country: "XX"}) { id } }`, "input.country"},
			{"alpha-3", `mutation { createAccount(input: {name: "X", country: "DEU"}) { id } }`, "input.country"},
			{"region against country", `mutation { createAccount(input: {name: "X", country: "US", region: EMEA}) { id } }`, "input.region"},
			{"update to unknown industry", `mutation($id: ID!) { updateAccount(id: $id, input: {industry: "Widgets"}) { id } }`, "input.industry"},
			{"update region against stored country", `mutation($id: ID!) { updateAccount(id: $id, input: {region: LATAM}) { id } }`, "input.region"},
			{"lead country", `mutation { createLead(input: {lastName: "X", country: "ZZ", source: WEB_FORM}) { id } }`, "input.country"},
		}
		for _, c := range refused {
			e := api.Fail(t, "VALIDATION_FAILED", c.query, map[string]any{"id": syn.CreateAccount.ID})
			if e.Extensions["field"] != c.field {
				t.Errorf("%s: field = %v, want %s (%s)", c.name, e.Extensions["field"], c.field, e.Message)
			}
		}
	})
}

// One casing for enum-like values: qualification.bant reads in the lead's own enums (YES, NO,
// UNKNOWN) and an upper-case status, not the policy's lower-case strings.
func TestBantValuesUseTheAPIEnumCasing(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		var got struct {
			CreateLead struct {
				Need          string
				Qualification struct {
					Bant struct{ Budget, Authority, Need, Timing, Status string }
				}
			}
		}
		api.Data(t, `mutation { createLead(input: {lastName: "Case", source: WEB_FORM, need: YES}) { need qualification { bant { budget authority need timing status } } } }`, nil, &got)
		b := got.CreateLead.Qualification.Bant
		if b.Need != got.CreateLead.Need || b.Need != "YES" || b.Budget != "UNKNOWN" || b.Status != "PARTIAL" {
			t.Errorf("lead need %q, bant %+v; want YES / UNKNOWN / PARTIAL", got.CreateLead.Need, b)
		}
	})
}
