package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// twoReplicas starts two server instances on one fresh PostgreSQL database.
func twoReplicas(t *testing.T) (*apitest.Instance, *apitest.Instance) {
	t.Helper()
	url := testenv.PostgresURL(t)
	open := func() *store.DB {
		db, err := store.Open(context.Background(), store.Config{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	a, b := apitest.Start(t, open()), apitest.Start(t, open())
	return a, b
}

// Fifty concurrent moves of one lead through two replicas, while another writer holds the lead's
// row longer than the pool's acquisition timeout: the history stays one chain, the lead's stage
// is the chain's end, and every refusal is CONFLICT or TRANSITION_DENIED. Writers of one lead wait
// for each other without a pooled connection, so none is shed as UNAVAILABLE and none is a 500.
func TestConcurrentTransitionsAcrossReplicas(t *testing.T) {
	url := testenv.PostgresURL(t)
	const acquire = time.Second
	open := func() *store.DB {
		db, err := store.Open(context.Background(), store.Config{URL: url, AcquireTimeout: acquire})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	a, b := apitest.Start(t, open()), apitest.Start(t, open())
	revopsID := a.User(t, "Rita", "REVOPS", "revops")
	ra, rb := as(t, a, revopsID, "revops", "revops"), as(t, b, revopsID, "revops", "revops")
	var created struct{ CreateLead struct{ ID string } }
	ra.Data(t, `mutation { createLead(input: {lastName: "Busy", email: "busy@gmail.com", source: TRADE_FAIR}) { id } }`, nil, &created)
	id := created.CreateLead.ID
	// Engagement makes mql reachable, so the moves below race each other rather than the policy.
	ra.Data(t, `mutation($id: ID!) { createActivity(input: {kind: FORM_FILL, leadID: $id}) { id } }`, map[string]any{"id": id}, &struct{}{})

	// A slow writer elsewhere holds the lead's row for longer than the acquisition timeout, so the
	// moves queue behind it however fast the machine is.
	holder := open()
	hold, err := holder.SQL.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	leadID, err := strconv.Atoi(id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.Exec(`SELECT id FROM leads WHERE id = $1 FOR UPDATE`, leadID); err != nil {
		t.Fatal(err)
	}
	released := time.AfterFunc(acquire+time.Second, func() { _ = hold.Commit() })
	defer released.Stop()

	targets := []string{"lead", "mql", "nurture", "mql", "lead"}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		outcome = map[string]int{}
	)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			api := ra
			if i%2 == 1 {
				api = rb
			}
			code := "not_ready"
			r := transition(api, t, id, targets[i%len(targets)], code, fmt.Sprintf("attempt %d", i))
			key := "ok"
			if len(r.Errors) > 0 {
				key = codes(r)
			}
			if r.Status >= 500 {
				key = fmt.Sprintf("HTTP %d %s", r.Status, key)
			}
			mu.Lock()
			outcome[key]++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	t.Logf("outcomes: %v", outcome)
	for k := range outcome {
		if k != "ok" && k != "CONFLICT" && k != "TRANSITION_DENIED" {
			t.Errorf("outcome %q: want only ok, CONFLICT or TRANSITION_DENIED", k)
		}
	}
	if outcome["ok"] == 0 {
		t.Fatal("no move succeeded")
	}

	var out struct {
		Node struct {
			Stage       struct{ Key string }
			Transitions struct {
				Edges []struct {
					Node struct {
						ID         string
						OccurredAt time.Time
						FromStage  *struct{ Key string }
						ToStage    struct{ Key string }
					}
				}
			}
		}
	}
	ra.Data(t, `query($id: ID!) { node(id: $id) { ... on Lead { stage { key } transitions(first: 200) { edges { node { id occurredAt fromStage { key } toStage { key } } } } } } }`,
		map[string]any{"id": id}, &out)
	rows := out.Node.Transitions.Edges
	sort.Slice(rows, func(i, j int) bool { return rows[i].Node.OccurredAt.Before(rows[j].Node.OccurredAt) })
	for i := 1; i < len(rows); i++ {
		prev, cur := rows[i-1].Node, rows[i].Node
		if cur.FromStage == nil || cur.FromStage.Key != prev.ToStage.Key {
			t.Fatalf("history breaks at row %d: %+v after %+v", i, cur, prev)
		}
	}
	if last := rows[len(rows)-1].Node.ToStage.Key; last != out.Node.Stage.Key {
		t.Errorf("lead is in %s, history ends in %s", out.Node.Stage.Key, last)
	}
	if got, want := len(rows), 1+outcome["ok"]; got < want {
		t.Errorf("history has %d rows, want at least %d (creation + successful moves)", got, want)
	}
}

// A subscriber on one replica sees a transition committed through the other.
func TestSubscriptionAcrossReplicas(t *testing.T) {
	a, b := twoReplicas(t)
	revopsID := a.User(t, "Rosa", "REVOPS", "revops")
	ra, rb := as(t, a, revopsID, "revops", "revops"), as(t, b, revopsID, "revops", "revops")
	var created struct{ CreateLead struct{ ID string } }
	ra.Data(t, `mutation { createLead(input: {lastName: "Live", email: "live@gmail.com", source: WEB_FORM}) { id } }`, nil, &created)
	id := created.CreateLead.ID

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(rb.Server.URL, "http")+"/graphql", &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"},
		HTTPHeader:   http.Header{"Origin": {rb.Server.URL}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	send := func(v any) {
		raw, _ := json.Marshal(v)
		if err := ws.Write(ctx, websocket.MessageText, raw); err != nil {
			t.Fatal(err)
		}
	}
	type msg struct {
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	read := func() msg {
		_, raw, err := ws.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var m msg
		_ = json.Unmarshal(raw, &m)
		return m
	}
	send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": rb.Header.Get("Authorization")}})
	if m := read(); m.Type != "connection_ack" {
		t.Fatalf("init: %s %s", m.Type, m.Payload)
	}
	send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query":     `subscription($ids: [ID!]) { leadStageChanged(where: {leadIds: $ids}) { leadId from to trigger lead { stage { key } } } }`,
		"variables": map[string]any{"ids": []string{id}},
	}})
	// The subscription is registered asynchronously; move the lead until an event arrives.
	got := make(chan msg, 1)
	go func() {
		for {
			_, raw, err := ws.Read(ctx)
			if err != nil {
				return
			}
			var m msg
			_ = json.Unmarshal(raw, &m)
			if m.Type == "next" {
				got <- m
				return
			}
		}
	}()
	targets := []string{"nurture", "mql", "nurture", "mql"}
	for i := 0; ; i++ {
		if r := transition(ra, t, id, targets[i%len(targets)], "not_ready", "ping"); len(r.Errors) > 0 {
			t.Fatalf("move through replica A: %+v", r.Errors)
		}
		select {
		case m := <-got:
			var p struct {
				Data struct {
					LeadStageChanged struct{ LeadID, From, To string }
				}
			}
			_ = json.Unmarshal(m.Payload, &p)
			if p.Data.LeadStageChanged.LeadID != id || p.Data.LeadStageChanged.To == "" {
				t.Fatalf("event %s", m.Payload)
			}
			return
		case <-time.After(300 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal("no event reached the other replica")
		}
	}
}
