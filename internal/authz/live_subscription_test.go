package authz_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/testenv"
)

// A subscription ends (complete, no more events) once its user is deactivated: a websocket does
// not outlive the user any more than a token does.
func TestSubscriptionEndsWhenItsUserIsDeactivated(t *testing.T) {
	api := apitest.Start(t, testenv.SQLite(t), func(c *app.Config) { c.Auth.UserCacheTTL = time.Nanosecond })
	var u struct{ CreateUser struct{ ID string } }
	api.Data(t, `mutation { createUser(input: {name: "Rep", email: "rep@example.com", role: BDR, team: "emea"}) { id } }`, nil, &u)
	var l struct{ CreateLead struct{ ID string } }
	api.Data(t, `mutation { createLead(input: {lastName: "Pool", source: WEB_FORM}) { id } }`, nil, &l)
	api.Data(t, `mutation($l: ID) { createActivity(input: {kind: DEMO, leadID: $l}) { id } }`, map[string]any{"l": l.CreateLead.ID}, &struct{}{})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(api.Server.URL, "http")+"/graphql",
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
	// A message's type and, for "next", the transition it reports: events are at least once and
	// may arrive late, so one of a move made before the deactivation may still come after it.
	type msg struct{ typ, transition string }
	msgs := make(chan msg, 64)
	send(map[string]any{"type": "connection_init", "payload": map[string]any{
		"Authorization": "Bearer " + apitest.Token(t, "bdr", "emea", u.CreateUser.ID)}})
	go func() {
		for {
			_, raw, err := ws.Read(ctx)
			if err != nil {
				close(msgs)
				return
			}
			var m struct {
				Type    string
				Payload struct {
					Data struct {
						LeadStageChanged struct{ TransitionID string }
					}
				}
			}
			_ = json.Unmarshal(raw, &m)
			msgs <- msg{m.Type, m.Payload.Data.LeadStageChanged.TransitionID}
		}
	}()
	send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { leadStageChanged { leadId transitionId } }`}})
	stages := []string{"nurture", "mql"}
	move := func(i int) string {
		var out struct {
			TransitionLead struct{ Transition struct{ ID string } }
		}
		api.Data(t, `mutation($id: ID!, $to: String!) { transitionLead(input: {leadId: $id, toStage: $to, reasonCode: "no_budget", reason: "x"}) { transition { id } } }`,
			map[string]any{"id": l.CreateLead.ID, "to": stages[i%2]}, &out)
		return out.TransitionLead.Transition.ID
	}
	// Until the subscription is live, move the lead; the first event proves it.
	live := false
	for i := 0; !live && i < 50; i++ {
		move(i)
		select {
		case m := <-msgs:
			live = m.typ == "next"
		case <-time.After(200 * time.Millisecond):
		}
	}
	if !live {
		t.Fatal("the subscription never delivered an event")
	}
	for len(msgs) > 0 {
		<-msgs
	}
	api.Data(t, `mutation($id: ID!) { updateUser(id: $id, input: {active: false}) { id } }`, map[string]any{"id": u.CreateUser.ID}, &struct{}{})
	after := map[string]bool{move(0): true, move(1): true}
	for m := range msgs {
		switch m.typ {
		case "next":
			if after[m.transition] {
				t.Fatal("a deactivated user's subscription received an event")
			}
		case "complete":
			return
		}
	}
	t.Fatal("the connection closed without completing the subscription")
}
