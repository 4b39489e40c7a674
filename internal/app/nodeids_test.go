package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// node and nodes answer a malformed or wrong id with a typed error of its own, never Go's
// internals, and never fail the other ids of the list; an admin finds an API key by its id.
func TestNodeIDsFailPerItem(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: 5, Seed: 2, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		api := apitest.Start(t, db)
		var ids struct {
			Leads struct {
				Edges []struct{ Node struct{ ID string } }
			}
			Accounts struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		api.Data(t, `{ leads(first: 1) { edges { node { id } } } accounts(first: 1) { edges { node { id } } } }`, nil, &ids)
		leadID, accountID := ids.Leads.Edges[0].Node.ID, ids.Accounts.Edges[0].Node.ID

		e := api.Fail(t, "VALIDATION_FAILED", `{ node(id: "garbage") { id } }`, nil)
		if strings.Contains(e.Message, "strconv") {
			t.Errorf("node: Go internals in %q", e.Message)
		}
		api.Fail(t, "NOT_FOUND", `{ node(id: "999999999999") { id } }`, nil)

		r := api.Do(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
			map[string]any{"ids": []string{leadID, "garbage", "999999999999", accountID, "-3"}})
		var data struct{ Nodes []*struct{ ID string } }
		if err := json.Unmarshal(r.Data, &data); err != nil || len(data.Nodes) != 5 {
			t.Fatalf("nodes: data %s (%v), errors %+v", r.Data, err, r.Errors)
		}
		if data.Nodes[0] == nil || data.Nodes[0].ID != leadID || data.Nodes[3] == nil || data.Nodes[3].ID != accountID {
			t.Errorf("nodes: the good ids were not returned: %s", r.Data)
		}
		want := map[string]string{"nodes.1": "VALIDATION_FAILED", "nodes.2": "NOT_FOUND", "nodes.4": "VALIDATION_FAILED"}
		got := map[string]string{}
		for _, e := range r.Errors {
			if strings.Contains(e.Message, "strconv") {
				t.Errorf("nodes: Go internals in %q", e.Message)
			}
			var path []string
			for _, p := range e.Path {
				b, _ := json.Marshal(p)
				path = append(path, strings.Trim(string(b), `"`))
			}
			got[strings.Join(path, ".")] = e.Code()
		}
		for p, code := range want {
			if got[p] != code {
				t.Errorf("nodes: error at %s = %q, want %s (all: %v)", p, got[p], code, got)
			}
		}
		if len(got) != len(want) {
			t.Errorf("nodes: errors %v, want %v", got, want)
		}

		var key struct {
			CreateApiKey struct{ APIKey struct{ ID string } }
		}
		api.Data(t, `mutation { createApiKey(input: {name: "ci", role: ANALYST}) { apiKey { id } } }`, nil, &key)
		var found struct{ Node *struct{ ID, Name string } }
		api.Data(t, `query($id: ID!) { node(id: $id) { id ... on APIKey { name } } }`, map[string]any{"id": key.CreateApiKey.APIKey.ID}, &found)
		if found.Node == nil || found.Node.Name != "ci" {
			t.Errorf("admin: node(id: API key) = %+v, want the key", found.Node)
		}
		api.As(t, "analyst", "", "").Fail(t, "NOT_FOUND", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": key.CreateApiKey.APIKey.ID})
	})
}
