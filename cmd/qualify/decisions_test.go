package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// `qualify decisions export` writes the seed's scoring decisions as OPA decision-log events;
// `qualify decisions purge` keeps those inside the retention.
func TestDecisionsCommands(t *testing.T) {
	eachDB(t, func(t *testing.T, db ...string) {
		testDecisionsCommands(t, db)
	})
}

func testDecisionsCommands(t *testing.T, db []string) {
	at := func(args ...string) []string { return append(args, db...) }
	if out, err := run(t, at("seed", "--policies", "../../policies", "--leads", "30", "--seed", "3")...); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	out, err := run(t, at("decisions", "export")...)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 30 {
		t.Fatalf("%d events exported for 30 scored leads", len(lines))
	}
	var ev struct {
		DecisionID string `json:"decision_id"`
		Path       string
		Input      map[string]any
		Result     map[string]any
		Bundles    map[string]struct{ Revision string }
	}
	if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil || ev.DecisionID == "" || ev.Path != "qualify/lead/decision" ||
		ev.Input["lead"] == nil || ev.Result["stage"] == nil || ev.Bundles["qualify"].Revision == "" {
		t.Errorf("event %s (%v)", lines[0], err)
	}
	if out, err := run(t, at("decisions", "purge", "--retention", "1h")...); err != nil || !strings.HasPrefix(out, "0 decisions purged") {
		t.Errorf("purge within the retention: %v\n%s", err, out)
	}
	if out, err := run(t, at("decisions", "purge", "--retention", "1ns")...); err != nil || !strings.HasPrefix(out, "30 decisions purged") {
		t.Errorf("purge: %v\n%s", err, out)
	}
	if _, err := run(t, at("decisions", "purge")...); err == nil {
		t.Error("purge without a retention succeeded")
	}
}
