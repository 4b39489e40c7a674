package app_test

import (
	"context"
	"testing"

	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// Rows written before input was normalized are normalized when the server starts: what the
// API then shows is what the policy keys on. Values that map to nothing are left for a person.
func TestStoredFirmographicsAreNormalizedAtStart(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// A first start syncs the stages; rows then written past the API stand for old data.
		apitest.Start(t, db)
		first := db.Client.Stage.Query().Where(stage.Key("lead")).OnlyIDX(ctx)
		a1 := db.Client.Account.Create().SetName("Old Mfg").SetIndustry("Manufacturing").SetCountry("gb").SaveX(ctx)
		a2 := db.Client.Account.Create().SetName("Old Odd").SetIndustry("basket weaving").SetCountry("XX").SaveX(ctx)
		l := db.Client.Lead.Create().SetLastName("Old").SetCountry("de").SetSource(lead.SourceWEB_FORM).
			SetStageID(first).SetFurthestStageID(first).SaveX(ctx)

		api := apitest.Start(t, db) // the restart
		type acc struct{ Industry, Country, Region string }
		var got struct {
			A1, A2 acc
			L      struct{ Country string }
		}
		api.Data(t, `query($a1: ID!, $a2: ID!, $l: ID!) {
			a1: node(id: $a1) { ... on Account { industry country region } }
			a2: node(id: $a2) { ... on Account { industry country region } }
			l: node(id: $l) { ... on Lead { country } } }`,
			map[string]any{"a1": a1.ID, "a2": a2.ID, "l": l.ID}, &got)
		if got.A1 != (acc{"manufacturing", "GB", "EMEA"}) {
			t.Errorf("old account = %+v, want manufacturing, GB, EMEA", got.A1)
		}
		if got.A2 != (acc{"basket weaving", "XX", ""}) {
			t.Errorf("unmappable account = %+v, want it left as stored", got.A2)
		}
		if got.L.Country != "DE" {
			t.Errorf("old lead country = %q, want DE", got.L.Country)
		}
	})
}
