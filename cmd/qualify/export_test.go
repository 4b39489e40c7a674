package main

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

// `qualify export leads` writes every seeded lead once as CSV with the API's field names;
// `qualify export transitions --format ndjson` every transition as a JSON object a line; a bad
// filter or format is refused before anything is written.
func TestExportCommand(t *testing.T) {
	eachDB(t, func(t *testing.T, db ...string) {
		at := func(args ...string) []string { return append(args, db...) }
		if out, err := run(t, at("seed", "--policies", "../../policies", "--leads", "30", "--seed", "3")...); err != nil {
			t.Fatalf("seed: %v\n%s", err, out)
		}
		out, err := run(t, at("export", "leads")...)
		if err != nil {
			t.Fatalf("export leads: %v\n%s", err, out)
		}
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(recs) != 31 || recs[0][0] != "id" {
			t.Fatalf("%d records (%v), header %v", len(recs), err, recs[0])
		}
		seen := map[string]bool{}
		for _, r := range recs[1:] {
			if seen[r[0]] {
				t.Errorf("lead %s twice", r[0])
			}
			seen[r[0]] = true
		}
		out, err = run(t, at("export", "transitions", "--format", "ndjson", "--stage", "lead")...)
		if err != nil {
			t.Fatalf("export transitions: %v\n%s", err, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		for _, l := range lines {
			var tr struct{ ID, LeadID, ToStage string }
			if err := json.Unmarshal([]byte(l), &tr); err != nil || !seen[tr.LeadID] || tr.ToStage != "lead" {
				t.Fatalf("line %s: %v", l, err)
			}
		}
		if len(lines) < 30 {
			t.Errorf("%d transitions into lead for 30 leads", len(lines))
		}
		for _, args := range [][]string{
			{"export", "leads", "--source", "FAX"},
			{"export", "leads", "--format", "xlsx"},
			{"export", "accounts"},
		} {
			if out, err := run(t, at(args...)...); err == nil {
				t.Errorf("%v succeeded:\n%s", args, out)
			}
		}
	})
}
