package decisionlog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/decisionlog"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// Export writes OPA decision-log events (decision_id, path, input, result, bundles.revision,
// timestamp, metrics); Purge removes the decisions older than the retention and keeps the rest.
func TestExportAndPurge(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		for id, at := range map[string]time.Time{"d-old": now.Add(-48 * time.Hour), "d-new": now} {
			err := decisionlog.Write(ctx, db.Client, decisionlog.Entry{
				Kind: decisionlog.Authz, Meta: policy.Meta{Revision: "r1", Hash: "abc123", DecisionID: id},
				Input:  policy.AuthzInput{Principal: policy.Principal{ID: "7", Role: "bdr"}, Operation: policy.Operation{Kind: "query", Name: "leads"}},
				Result: policy.AuthzDecision{Allow: true, RowFilter: "own_or_team"}, Latency: 1500 * time.Microsecond, At: at,
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		var out bytes.Buffer
		n, err := decisionlog.Export(ctx, db.Client, &out, time.Time{}, time.Time{})
		if err != nil || n != 2 {
			t.Fatalf("export: %d, %v", n, err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		var ev map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil {
			t.Fatal(err)
		}
		bundles, _ := ev["bundles"].(map[string]any)
		qualify, _ := bundles["qualify"].(map[string]any)
		metrics, _ := ev["metrics"].(map[string]any)
		input, _ := ev["input"].(map[string]any)
		result, _ := ev["result"].(map[string]any)
		if ev["path"] != "qualify/authz/decision" || qualify["revision"] != "abc123" || metrics["timer_rego_query_eval_ns"] != 1.5e6 ||
			input["operation"] == nil || result["allow"] != true || ev["timestamp"] == nil || ev["decision_id"] == "" {
			t.Errorf("event: %s", lines[0])
		}
		purged, err := decisionlog.Purge(ctx, db.Client, now.Add(-24*time.Hour))
		if err != nil || purged != 1 {
			t.Fatalf("purge: %d, %v", purged, err)
		}
		if _, err := decisionlog.Get(ctx, db.Client, "d-new"); err != nil {
			t.Errorf("the recent decision is gone: %v", err)
		}
	})
}

// Redact removes hidden fields wherever an object of their kind appears.
func TestRedact(t *testing.T) {
	in := map[string]any{
		"lead":     map[string]any{"id": "1", "email": "a@b.example"},
		"contacts": []any{map[string]any{"id": "2", "phone": "+1"}},
		"now":      "x",
	}
	out := decisionlog.Redact(in, []string{"lead.email", "contact.phone"})
	raw, _ := json.Marshal(out)
	if strings.Contains(string(raw), "a@b.example") || strings.Contains(string(raw), "+1") || !strings.Contains(string(raw), `"id":"2"`) {
		t.Errorf("redacted: %s", raw)
	}
	if _, ok := in["lead"].(map[string]any)["email"]; !ok {
		t.Error("Redact changed its argument")
	}
}

// WriteAll stores each entry as the policy saw it, in one statement: the input's integers exact
// (past 2^53 too, as OPA compares them), no result for a failed decision, the caller of ctx.
func TestWriteAllStoresTheInputAsThePolicySawIt(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const big = int64(1)<<53 + 1
		err := decisionlog.WriteAll(ctx, db.Client, []decisionlog.Entry{
			{Kind: decisionlog.Lead, Meta: policy.Meta{Revision: "r1", Hash: "h1", DecisionID: "w-ok"},
				Input: map[string]any{"n": big}, Result: map[string]any{"score": 7}, Latency: time.Millisecond, Trigger: "auto"},
			{Kind: decisionlog.Schedule, Meta: policy.Meta{Hash: "h1", DecisionID: "w-err"},
				Input: map[string]any{"n": 1}, Result: map[string]any{"ignored": true}, Err: errors.New("boom")},
		})
		if err != nil {
			t.Fatal(err)
		}
		ok, err := decisionlog.Get(ctx, db.Client, "w-ok")
		if err != nil {
			t.Fatal(err)
		}
		if ok.Kind != decisionlog.Lead || ok.Path != "qualify/lead/decision" || ok.Revision != "r1" || ok.RevisionHash != "h1" ||
			ok.LatencyNs != 1e6 || ok.Trigger != "auto" || ok.Caller != "system" || ok.Result["score"] != 7.0 || ok.LeadID != nil ||
			time.Since(ok.DecidedAt) > time.Minute {
			t.Errorf("stored %+v", ok)
		}
		failed, err := decisionlog.Get(ctx, db.Client, "w-err")
		if err != nil {
			t.Fatal(err)
		}
		if failed.Error != "boom" || failed.Result != nil || failed.Path != "qualify/schedule/decision" {
			t.Errorf("the failed decision: error %q, result %v, path %s", failed.Error, failed.Result, failed.Path)
		}
		q := "SELECT input FROM decision_logs WHERE decision_id = 'w-ok'"
		rows, err := db.Client.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var raw string
		if !rows.Next() || rows.Scan(&raw) != nil {
			t.Fatalf("%s: no row", q)
		}
		if !strings.Contains(raw, "9007199254740993") {
			t.Errorf("the input's integer is stored as %s, want 9007199254740993", raw)
		}
	})
}
