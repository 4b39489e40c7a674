package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// feedClient is a graphql-transport-ws subscriber to leadStageChanged.
type feedClient struct {
	ws     *websocket.Conn
	events chan string // transitionIds, in arrival order
}

func subscribeFeed(t *testing.T, ctx context.Context, api *apitest.Instance, leadID string, after *string) *feedClient {
	t.Helper()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(api.Server.URL, "http")+"/graphql", &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"},
		HTTPHeader:   http.Header{"Origin": {api.Server.URL}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	send := func(v any) {
		raw, _ := json.Marshal(v)
		if err := ws.Write(ctx, websocket.MessageText, raw); err != nil {
			t.Fatal(err)
		}
	}
	send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": api.Header.Get("Authorization")}})
	if _, raw, err := ws.Read(ctx); err != nil || !strings.Contains(string(raw), "connection_ack") {
		t.Fatalf("init: %s %v", raw, err)
	}
	vars := map[string]any{"ids": []string{leadID}}
	if after != nil {
		vars["after"] = *after
	}
	send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query":     `subscription($ids: [ID!], $after: ID) { leadStageChanged(after: $after, where: {leadIds: $ids}) { transitionId to } }`,
		"variables": vars,
	}})
	fc := &feedClient{ws: ws, events: make(chan string, 100)}
	go func() {
		for {
			_, raw, err := ws.Read(ctx)
			if err != nil {
				return
			}
			var m struct {
				Type    string
				Payload struct {
					Data struct{ LeadStageChanged struct{ TransitionID string } }
				}
			}
			_ = json.Unmarshal(raw, &m)
			if m.Type == "next" {
				fc.events <- m.Payload.Data.LeadStageChanged.TransitionID
			}
		}
	}()
	return fc
}

// move transitions the lead and returns the history row's id.
func move(t *testing.T, api *apitest.Instance, leadID, to string) string {
	t.Helper()
	var out struct {
		TransitionLead struct{ Transition struct{ ID string } }
	}
	api.Data(t, `mutation($in: TransitionLeadInput!) { transitionLead(input: $in) { transition { id } } }`,
		map[string]any{"in": map[string]any{"leadId": leadID, "toStage": to, "reasonCode": "not_ready", "reason": "feed test"}}, &out)
	return out.TransitionLead.Transition.ID
}

// awaitAll waits until every id in want has arrived on the feed.
func (fc *feedClient) awaitAll(t *testing.T, ctx context.Context, want []string) string {
	t.Helper()
	missing := map[string]bool{}
	for _, id := range want {
		missing[id] = true
	}
	last := ""
	for len(missing) > 0 {
		select {
		case id := <-fc.events:
			delete(missing, id)
			last = id
		case <-ctx.Done():
			t.Fatalf("%d of %d events never arrived: %v", len(missing), len(want), missing)
		}
	}
	return last
}

// The LISTEN connection of the subscriber's replica is terminated mid-stream while another
// replica keeps moving the lead: every move still reaches the subscriber (replayed from the
// history once the listener is back). A subscriber that disconnects resumes with `after:` and
// receives what it missed.
func TestLiveFeedLosesNothing(t *testing.T) {
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
	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	revops := a.User(t, "Rhea", "REVOPS", "revops")
	ra, rb := as(t, a, revops, "revops", "revops"), as(t, b, revops, "revops", "revops")
	var created struct{ CreateLead struct{ ID string } }
	ra.Data(t, `mutation { createLead(input: {lastName: "Stream", email: "stream@gmail.com", source: WEB_FORM}) { id } }`, nil, &created)
	lead := created.CreateLead.ID
	ra.Data(t, `mutation($id: ID!) { createActivity(input: {kind: FORM_FILL, leadID: $id}) { id } }`, map[string]any{"id": lead}, &struct{}{})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	feed := subscribeFeed(t, ctx, rb, lead, nil)
	targets, moves := []string{"mql", "nurture"}, 0 // FORM_FILL made it an mql
	next := func() string { moves++; return move(t, ra, lead, targets[moves%2]) }
	// The subscription starts asynchronously: move until the first event arrives.
	for {
		next()
		select {
		case <-feed.events:
		case <-time.After(300 * time.Millisecond):
			continue
		}
		break
	}
	for len(feed.events) > 0 {
		<-feed.events
	}

	res, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN `+"qualify_lead_stage_changed"+`'`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatal("no LISTEN backend to terminate")
	}
	var want []string
	for range 6 {
		want = append(want, next())
	}
	last := feed.awaitAll(t, ctx, want)

	// Disconnected, the client misses two moves; resuming after the last event it saw, it gets them.
	_ = feed.ws.Close(websocket.StatusNormalClosure, "")
	missed := []string{next(), next()}
	resumed := subscribeFeed(t, ctx, rb, lead, &last)
	resumed.awaitAll(t, ctx, missed)
}
