package authz_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/qualify/qualify/internal/testenv"
)

// A rep's subscription carries only the stage changes of leads the rep may see.
func TestSubscriptionIsFiltered(t *testing.T) {
	w := setup(t, testenv.SQLite(t))
	rep := w.as(t, caller{name: "bdr", role: "bdr", team: "emea-bdr"})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(w.api.Server.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
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
		Type    string
		Payload struct {
			Data struct{ LeadStageChanged struct{ LeadID string } }
		}
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
	send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": rep.Header.Get("Authorization")}})
	if m := read(); m.Type != "connection_ack" {
		t.Fatalf("init: %+v", m)
	}
	send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query": `subscription { leadStageChanged { leadId } }`}})

	move := func(id string) {
		w.api.Data(t, `mutation($id: ID!) { transitionLead(input: {leadId: $id, toStage: "nurture",
			reasonCode: "no_budget", reason: "later"}) { lead { id } } }`, map[string]any{"id": id}, &struct{}{})
	}
	// The subscription registers asynchronously: move the other team's lead, then the rep's own
	// lead, until the own lead's event arrives; no event of the other lead may come first.
	got := make(chan string, 8)
	go func() {
		for {
			_, raw, err := ws.Read(ctx)
			if err != nil {
				close(got)
				return
			}
			var m msg
			_ = json.Unmarshal(raw, &m)
			if m.Type == "next" {
				got <- m.Payload.Data.LeadStageChanged.LeadID
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)
	move(w.otherLead)
	move(w.ownLead)
	select {
	case id := <-got:
		if id != w.ownLead {
			t.Fatalf("the rep received a change of lead %s (own %s, other team's %s)", id, w.ownLead, w.otherLead)
		}
	case <-ctx.Done():
		t.Fatal("no event for the rep's own lead")
	}
}
