package app_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// The casing convention is part of the schema a client introspects: the schema's description
// states it, and the fields that hold values of the policy bundle (stage keys, reason codes)
// say which case theirs are in. The values the API returns follow it: every enum value is
// UPPER_SNAKE_CASE, stage keys lower_snake_case, the policy's reason codes UPPER_SNAKE_CASE.
func TestCasingConventionInTheSchema(t *testing.T) {
	upper, lower := regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`), regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		var schema struct {
			Schema struct {
				Description string
				Types       []struct {
					Name, Kind string
					EnumValues []struct{ Name string }
					Fields     []struct{ Name, Description string }
				}
			} `json:"__schema"`
		}
		api.Data(t, `{ __schema { description types { name kind enumValues { name } fields { name description } } } }`, nil, &schema)
		for _, word := range []string{"UPPER_SNAKE_CASE", "lower_snake_case"} {
			if !strings.Contains(schema.Schema.Description, word) {
				t.Errorf("the schema's description does not state the convention (%s): %q", word, schema.Schema.Description)
			}
		}
		documented := map[string]string{"Stage.key": "lower_snake_case", "Qualification.recommendedStage": "lower_snake_case",
			"Reason.code": "UPPER_SNAKE_CASE", "StageTransition.reasonCode": "lower_snake_case"}
		for _, typ := range schema.Schema.Types {
			if typ.Kind == "ENUM" && !strings.HasPrefix(typ.Name, "__") {
				for _, v := range typ.EnumValues {
					if !upper.MatchString(v.Name) {
						t.Errorf("enum %s has value %s, not UPPER_SNAKE_CASE", typ.Name, v.Name)
					}
				}
			}
			for _, f := range typ.Fields {
				if want, ok := documented[typ.Name+"."+f.Name]; ok {
					delete(documented, typ.Name+"."+f.Name)
					if !strings.Contains(f.Description, want) {
						t.Errorf("%s.%s: description %q does not say %s", typ.Name, f.Name, f.Description, want)
					}
				}
			}
		}
		for field := range documented {
			t.Errorf("no field %s in the schema", field)
		}

		var stages struct {
			Stages struct {
				Edges []struct{ Node struct{ Key string } }
			}
		}
		api.Data(t, `{ stages(first: 50) { edges { node { key } } } }`, nil, &stages)
		if len(stages.Stages.Edges) == 0 {
			t.Fatal("no stages")
		}
		for _, e := range stages.Stages.Edges {
			if !lower.MatchString(e.Node.Key) {
				t.Errorf("stage key %q is not lower_snake_case", e.Node.Key)
			}
		}
		var lead struct {
			CreateLead struct {
				Qualification struct {
					RecommendedStage string
					Reasons          []struct{ Code string }
					Bant             struct{ Budget, Authority, Need, Timing, Status string }
				}
			}
		}
		api.Data(t, `mutation { createLead(input: {lastName: "Case", email: "casey@acme-casing.example", source: WEB_FORM,
			country: "DE", jobTitle: "VP Operations", need: YES}) { qualification { recommendedStage reasons { code }
			bant { budget authority need timing status } } } }`, nil, &lead)
		q := lead.CreateLead.Qualification
		if !lower.MatchString(q.RecommendedStage) {
			t.Errorf("recommendedStage %q is not lower_snake_case", q.RecommendedStage)
		}
		if len(q.Reasons) == 0 {
			t.Error("no reasons to check")
		}
		for _, r := range q.Reasons {
			if !upper.MatchString(r.Code) {
				t.Errorf("reason code %q is not UPPER_SNAKE_CASE", r.Code)
			}
		}
		for _, v := range []string{q.Bant.Budget, q.Bant.Authority, q.Bant.Need, q.Bant.Timing, q.Bant.Status} {
			if !upper.MatchString(v) {
				t.Errorf("bant value %q is not UPPER_SNAKE_CASE", v)
			}
		}
	})
}
