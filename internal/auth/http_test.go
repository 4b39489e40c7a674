package auth_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/ratelimit"
	"github.com/qualify/qualify/internal/testenv"
)

// Each principal has its own bucket: the one over budget gets 429, RATE_LIMITED and Retry-After;
// another is unaffected.
func TestRateLimit(t *testing.T) {
	api := apitest.Start(t, testenv.SQLite(t), func(c *app.Config) {
		// A token per 100 s: the bucket stays empty for the whole test, however slow the machine.
		c.RateLimit = ratelimit.Config{PerSecond: 0.01, Burst: 2}
	})
	rep := api.As(t, "bdr", "emea-bdr", "")
	for i := range 2 {
		if r := rep.Do(t, viewerQuery, nil); r.Status != http.StatusOK {
			t.Fatalf("request %d: status %d %+v", i, r.Status, r.Errors)
		}
	}
	r := rep.Do(t, viewerQuery, nil)
	if r.Status != http.StatusTooManyRequests || len(r.Errors) != 1 || r.Errors[0].Code() != "RATE_LIMITED" {
		t.Fatalf("third request: status %d %+v; want 429 RATE_LIMITED", r.Status, r.Errors)
	}
	if ra, _ := r.Errors[0].Extensions["retryAfter"].(float64); ra < 1 {
		t.Errorf("retryAfter = %v", r.Errors[0].Extensions["retryAfter"])
	}
	req, _ := http.NewRequest(http.MethodPost, api.Server.URL+"/graphql", strings.NewReader(`{"query":"{ viewer { role } }"}`))
	req.Header = rep.Header.Clone()
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("Retry-After") == "" {
		t.Errorf("no Retry-After header on %d", res.StatusCode)
	}
	if r := api.As(t, "analyst", "analytics", "").Do(t, viewerQuery, nil); r.Status != http.StatusOK {
		t.Errorf("another principal: status %d", r.Status)
	}
}

func TestMetricsToken(t *testing.T) {
	api := apitest.Start(t, testenv.SQLite(t), func(c *app.Config) { c.MetricsToken = "scrape-me" })
	get := func(path, token string) int {
		req, _ := http.NewRequest(http.MethodGet, api.Server.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	for _, tc := range []struct {
		path, token string
		want        int
	}{
		{"/metrics", "", http.StatusUnauthorized},
		{"/metrics", "wrong", http.StatusUnauthorized},
		{"/metrics", "scrape-me", http.StatusOK},
		{"/healthz", "", http.StatusOK},
		{"/readyz", "", http.StatusOK},
	} {
		if got := get(tc.path, tc.token); got != tc.want {
			t.Errorf("GET %s with %q: %d, want %d", tc.path, tc.token, got, tc.want)
		}
	}
}

// Browsers cannot set headers on websockets: connection_init carries the credential.
func TestWebsocketInit(t *testing.T) {
	api := apitest.Start(t, testenv.SQLite(t))
	dial := func(payload map[string]any) string {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(api.Server.URL, "http")+"/graphql",
			&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		raw, _ := json.Marshal(map[string]any{"type": "connection_init", "payload": payload})
		if err := ws.Write(ctx, websocket.MessageText, raw); err != nil {
			t.Fatal(err)
		}
		_, msg, err := ws.Read(ctx)
		if err != nil {
			return "closed: " + err.Error()
		}
		var m struct{ Type string }
		_ = json.Unmarshal(msg, &m)
		return m.Type
	}
	tok := apitest.Token(t, "bdr", "emea-bdr", "")
	if got := dial(map[string]any{"Authorization": "Bearer " + tok}); got != "connection_ack" {
		t.Errorf("Authorization payload: %s", got)
	}
	if got := dial(map[string]any{"authToken": tok}); got != "connection_ack" {
		t.Errorf("authToken payload: %s", got)
	}
	for name, p := range map[string]map[string]any{
		"none": nil, "bad token": {"authToken": "nope"}, "alg none": {"authToken": "eyJhbGciOiJub25lIn0.e30."},
	} {
		if got := dial(p); got == "connection_ack" {
			t.Errorf("%s: acknowledged", name)
		}
	}
}
