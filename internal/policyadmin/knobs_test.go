package policyadmin_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// Knobs without Rego: a knob out of order is refused by the bundle's data schema with its place
// in data.json, by validatePolicy and publishPolicy alike; a threshold change alone publishes,
// since the shipped tests read the threshold from the data.
func TestKnobsCheckedBySchema(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api, dir := seeded(t, db, 5)
		active := api.App.Engine.Active().Hash()
		bad := map[string]any{"changed": []map[string]any{
			{"path": "data.json", "content": edit(t, dir, "data.json", `{"min": 200, "points": 10}`, `{"min": 20, "points": 10}`)},
		}}
		var v struct {
			ValidatePolicy struct {
				OK       bool
				Problems []struct {
					File    string
					Row     int
					Message string
				}
			}
		}
		api.Data(t, `query($d: PolicyDraftInput!) { validatePolicy(draft: $d) { ok problems { file row message } } }`, map[string]any{"d": bad}, &v)
		if p := v.ValidatePolicy.Problems; v.ValidatePolicy.OK || len(p) != 1 || p[0].File != "data.json" || p[0].Row == 0 ||
			!strings.Contains(p[0].Message, "employee_ranges[3]") {
			t.Errorf("validatePolicy: %+v", v.ValidatePolicy)
		}
		e := api.Fail(t, "VALIDATION_FAILED", `mutation($d: PolicyDraftInput!) { publishPolicy(input: {draft: $d, message: "x"}) { revision { hash } } }`, map[string]any{"d": bad})
		if raw, _ := json.Marshal(e.Extensions["problems"]); !strings.Contains(string(raw), `"file":"data.json"`) {
			t.Errorf("publish refusal: %s", raw)
		}
		if api.App.Engine.Active().Hash() != active {
			t.Fatal("a refused knob change went live")
		}

		var pub struct{ PublishPolicy published }
		api.Data(t, `mutation($d: PolicyDraftInput!) { publishPolicy(input: {draft: $d, message: "MQL at 10"}) { `+revisionFields+` } }`,
			map[string]any{"d": lowerMQL(t, dir)}, &pub)
		if pub.PublishPolicy.Revision.Status != "ACTIVE" {
			t.Errorf("threshold change alone: %+v", pub.PublishPolicy.Revision)
		}
	})
}
