package auth_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/testenv"
)

// FuzzGraphQLRequest posts arbitrary bodies with arbitrary Authorization headers to /graphql:
// the server may refuse them, but never panics, never answers 500 and never reports INTERNAL.
//
//	go test -run '^$' -fuzz FuzzGraphQLRequest -fuzztime 60s ./internal/auth
func FuzzGraphQLRequest(f *testing.F) {
	// A short request timeout: a subscription sent over POST waits for it.
	api := apitest.Start(f, testenv.SQLite(f), func(c *app.Config) { c.Server.RequestTimeout = 500 * time.Millisecond })
	admin := api.Header.Get("Authorization")
	rep := "Bearer " + apitest.Token(f, "bdr", "emea-bdr", "7")
	analyst := "Bearer " + apitest.Token(f, "analyst", "analytics", "")
	for _, seed := range []struct{ body, auth string }{
		{`{"query":"{ viewer { role team user { id } } }"}`, admin},
		{`{"query":"{ leads(first: 5) { totalCount edges { node { id email phone stage { key } } } } }"}`, rep},
		{`{"query":"{ contacts { totalCount edges { node { email } } } }"}`, analyst},
		{`{"query":"query($id: ID!) { node(id: $id) { id ... on Lead { email } } }","variables":{"id":"12884901889"}}`, rep},
		{`{"query":"mutation { createApiKey(input: {name: \"x\", role: ADMIN}) { secret } }"}`, rep},
		{`{"query":"mutation($id: ID!) { updateLead(id: $id, input: {jobTitle: \"x\"}) { id } }","variables":{"id":"abc"}}`, rep},
		{`{"query":"mutation { revokeApiKey(id: 1) { apiKey { id } } }"}`, admin},
		{`{"query":"{ apiKeys(first: -1) { totalCount } }"}`, admin},
		{`{"query":"subscription { leadStageChanged { leadId } }"}`, admin},
		{`[{"query":"{ viewer { role } }"},{"query":"{ __typename }"}]`, admin},
		{`{"query":"{ a: viewer { role } b: viewer { role } __schema { types { name } } }"}`, admin},
		{`{"query":"{ leads { edges { node { contacts { edges { node { leads { edges { node { id } } } } } } } } } }"}`, rep},
		{`{"query":"query { policyStatus { active { revision } } }","operationName":"nope"}`, analyst},
		{`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}}`, admin},
		{`{"query":"{"}`, admin},
		{`{`, ""},
		{``, "Bearer "},
		{`{"query":"{ viewer { role } }"}`, "Bearer eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ."},
		{`{"query":"{ viewer { role } }"}`, "Bearer qk_00000000_xxxx"},
		{`{"query":"{ viewer { role } }"}`, "Basic YWRtaW46YWRtaW4="},
	} {
		f.Add([]byte(seed.body), seed.auth)
	}
	h := api.App.Handler()
	f.Fuzz(func(t *testing.T, body []byte, authorization string) {
		if !httpguts.ValidHeaderFieldValue(authorization) {
			return
		}
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for body %q auth %q: %s", rec.Code, body, authorization, rec.Body.Bytes())
		}
		var res struct {
			Errors []struct {
				Message    string
				Extensions map[string]any
			}
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil && !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/") {
			// gqlgen answers some refusals (e.g. unsupported transports) in plain text; JSON must parse.
			if strings.Contains(rec.Header().Get("Content-Type"), "json") {
				t.Fatalf("unparsable JSON for body %q: %s", body, rec.Body.Bytes())
			}
		}
		for _, e := range res.Errors {
			if e.Extensions["code"] == "INTERNAL" {
				t.Fatalf("INTERNAL for body %q auth %q: %s", body, authorization, rec.Body.Bytes())
			}
		}
	})
}
