package decisionlog_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// GET /export/decisions.ndjson streams the decision log as OPA decision-log events to revops
// and admins, judged by the access policy as an admin operation: an analyst is refused (403),
// a caller without credentials too (401), and a bad range is a 400.
func TestExportOverHTTP(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		var created struct{ CreateLead struct{ ID string } }
		api.Data(t, `mutation { createLead(input: {lastName: "Log", email: "log@gmail.com", source: WEB_FORM}) { id } }`, nil, &created)
		revops := api.As(t, "revops", "revops", api.User(t, "Rex", "REVOPS", "revops"))
		analyst := api.As(t, "analyst", "analytics", api.User(t, "Ana", "ANALYST", "analytics"))

		status, ctype, body := get(t, revops, "/export/decisions.ndjson?since=1h")
		if status != http.StatusOK || ctype != "application/x-ndjson" {
			t.Fatalf("revops: %d %s %s", status, ctype, body)
		}
		found := false
		sc := bufio.NewScanner(strings.NewReader(body))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var ev struct {
				DecisionID string `json:"decision_id"`
				Path       string
				Input      map[string]any
				Bundles    map[string]struct{ Revision string }
			}
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.DecisionID == "" || ev.Bundles["qualify"].Revision == "" {
				t.Fatalf("line %s: %v", sc.Text(), err)
			}
			if ev.Path == "qualify/lead/decision" {
				lead, _ := ev.Input["lead"].(map[string]any)
				found = found || lead["id"] == created.CreateLead.ID
			}
		}
		if !found {
			t.Errorf("the new lead's qualification is not in the export:\n%s", body)
		}
		if s, _, b := get(t, revops, "/export/decisions.ndjson?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z"); s != http.StatusOK || b != "" {
			t.Errorf("an empty range: %d %q", s, b)
		}
		for _, c := range []struct {
			api    *apitest.Instance
			path   string
			status int
		}{
			{analyst, "/export/decisions.ndjson", http.StatusForbidden},
			{api.Anonymous(), "/export/decisions.ndjson", http.StatusUnauthorized},
			{revops, "/export/decisions.ndjson?from=yesterday", http.StatusBadRequest},
			{revops, "/export/decisions.ndjson?since=-1h", http.StatusBadRequest},
		} {
			if s, _, b := get(t, c.api, c.path); s != c.status {
				t.Errorf("%s as %s: %d %s, want %d", c.path, c.api.Header.Get("Authorization")[:min(12, len(c.api.Header.Get("Authorization")))], s, b, c.status)
			}
		}
	})
}

func get(t *testing.T, api *apitest.Instance, path string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, api.Server.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = api.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}
