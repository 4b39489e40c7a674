package policy

import (
	"context"
	"strings"
	"testing"
)

// A knob of the wrong type, out of range or out of order is refused at load with its place in
// data.json, by the bundle's data.schema.json.
func TestDataSchemaLocatesBadKnobs(t *testing.T) {
	shipped, err := ReadDir("../../policies")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := shipped.Get(schemaFile); !ok {
		t.Fatal("the shipped bundle has no data.schema.json")
	}
	if probs := checkDataSchemas(shipped); len(probs) > 0 {
		t.Fatalf("shipped data.json: %v", probs)
	}
	data, _ := shipped.Get("data.json")
	line := func(s string) int { return strings.Count(string(data[:strings.Index(string(data), s)]), "\n") + 1 }
	for _, c := range []struct {
		name, old, new string
		row            int
		want           string
	}{
		{"string for a number", `"threshold": 15`, `"threshold": "15"`, line(`"threshold": 15`), "want integer"},
		{"descending employee_ranges", `{"min": 200, "points": 10}`, `{"min": 20, "points": 10}`, line(`{"min": 200, "points": 10}`), "employee_ranges[3].min: items must ascend by min"},
		{"percent out of range", `"decayed_percent": 50`, `"decayed_percent": 150`, line(`"decayed_percent"`), "maximum"},
		{"grades out of order", `"B": 50`, `"B": 80`, line(`"B": 50`), "A (70) must be more than B (80)"},
		{"misspelt knob", `"threshold": 15`, `"treshold": 15`, line(`"mql": {`), "treshold"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(string(data), c.old) {
				t.Fatalf("data.json has no %s", c.old)
			}
			fs, err := shipped.With(map[string][]byte{"data.json": []byte(strings.Replace(string(data), c.old, c.new, 1))})
			if err != nil {
				t.Fatal(err)
			}
			probs := checkDataSchemas(fs)
			if len(probs) == 0 {
				t.Fatal("accepted")
			}
			for _, p := range probs {
				if p.File == "data.json" && p.Row == c.row && p.Col > 0 && strings.Contains(p.Message, c.want) {
					return
				}
			}
			t.Errorf("problems %v; want data.json:%d, %q", probs, c.row, c.want)
		})
	}

	// The check is part of verification: such a bundle is refused before its tests run.
	fs, _ := shipped.With(map[string][]byte{"data.json": []byte(strings.Replace(string(data), `"decayed_percent": 50`, `"decayed_percent": 150`, 1))})
	rev, rep := New(Options{}).Verify(context.Background(), fs)
	if rev != nil || rep.OK() || len(rep.Problems) != 1 || rep.Problems[0].File != "data.json" {
		t.Errorf("verify: %+v", rep.Problems)
	}
}
