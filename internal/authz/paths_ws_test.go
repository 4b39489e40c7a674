package authz_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/qualify/qualify/internal/apitest"
)

// wsEvent is one message a subscription received.
type wsEvent struct {
	leadID, to string
	resp       apitest.Response
	lead       any // the event's lead, decoded
}

// wsClient is one graphql-transport-ws connection with many subscriptions.
type wsClient struct {
	c      caller
	ws     *websocket.Conn
	mu     sync.Mutex
	events map[int][]wsEvent // by subscription index
}

func (w *pathWorld) dial(ctx context.Context, t *testing.T, c caller) *wsClient {
	t.Helper()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(w.api.Server.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(16 << 20)
	cl := &wsClient{c: c, ws: ws, events: map[int][]wsEvent{}}
	cl.send(ctx, t, map[string]any{"type": "connection_init", "payload": map[string]any{
		"Authorization": "Bearer " + apitest.Token(t, c.role, c.team, w.users[c.name])}})
	_, raw, err := ws.Read(ctx)
	if err != nil || !strings.Contains(string(raw), "connection_ack") {
		t.Fatalf("websocket init as %s: %s %v", c.name, raw, err)
	}
	return cl
}

func (cl *wsClient) send(ctx context.Context, t *testing.T, v any) {
	raw, _ := json.Marshal(v)
	if err := cl.ws.Write(ctx, websocket.MessageText, raw); err != nil {
		t.Fatal(err)
	}
}

func (cl *wsClient) read(ctx context.Context) {
	for {
		_, raw, err := cl.ws.Read(ctx)
		if err != nil {
			return
		}
		var m struct {
			ID      string
			Type    string
			Payload json.RawMessage
		}
		_ = json.Unmarshal(raw, &m)
		id, _ := strconv.Atoi(m.ID)
		var ev wsEvent
		switch m.Type {
		case "next":
			_ = json.Unmarshal(m.Payload, &ev.resp)
			var d struct {
				LeadStageChanged struct {
					LeadID, To string
					Lead       any
				}
			}
			_ = json.Unmarshal(ev.resp.Data, &d)
			ev.leadID, ev.to, ev.lead = d.LeadStageChanged.LeadID, d.LeadStageChanged.To, d.LeadStageChanged.Lead
		case "error":
			_ = json.Unmarshal(m.Payload, &ev.resp.Errors)
		default:
			continue
		}
		cl.mu.Lock()
		cl.events[id] = append(cl.events[id], ev)
		cl.mu.Unlock()
	}
}

// got reports whether every subscription received an event of lead.
func (cl *wsClient) got(n int, lead string) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for i := range n {
		seen := false
		for _, e := range cl.events[i] {
			seen = seen || e.leadID == lead
		}
		if !seen {
			return false
		}
	}
	return true
}

// settled reports whether every subscription's last event of each lead moved to the stage final.
func (cl *wsClient) settled(n int, final string, leads ...string) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for i := range n {
		last := map[string]string{}
		for _, e := range cl.events[i] {
			last[e.leadID] = e.to
		}
		for _, l := range leads {
			if l != "" && last[l] != final {
				return false
			}
		}
	}
	return true
}

// runSubscriptions subscribes every path as every caller, moves one lead of each team and the
// pool lead, and checks each event like an HTTP answer. An event of a visible lead must arrive,
// and its lead must read exactly as the same selection does over HTTP (node(id)): redaction and
// nested connections identical on both transports.
func (w *pathWorld) runSubscriptions(t *testing.T, subs []pathCase) map[string]error {
	fails := map[string]error{}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var clients []*wsClient
	for _, c := range pathCallers {
		cl := w.dial(ctx, t, c)
		defer cl.ws.CloseNow()
		go cl.read(ctx)
		for i, p := range subs {
			cl.send(ctx, t, map[string]any{"id": strconv.Itoa(i), "type": "subscribe", "payload": map[string]any{"query": p.query}})
		}
		clients = append(clients, cl)
	}
	leads := w.ids["Lead"]
	alpha, beta, pool := leads[0], leads[2], leads[4]
	stages := []string{"mql", "nurture"}
	ready, final := false, ""
	for round := 0; round < 15; round++ {
		final = stages[round%2]
		for _, l := range []string{alpha, beta, pool} {
			w.api.Data(t, `mutation($id: ID!, $to: String!) { transitionLead(input: {leadId: $id, toStage: $to,
				reasonCode: "no_budget", reason: "path test"}) { lead { id } } }`,
				map[string]any{"id": l, "to": stages[round%2]}, &struct{}{})
		}
		time.Sleep(200 * time.Millisecond)
		if ready {
			break // one more round after every subscription was live
		}
		ready = true
		for _, cl := range clients {
			ready = ready && cl.got(len(subs), pool)
		}
	}
	// One last move to a stage no earlier round used, so that "settled" cannot be fooled by an
	// event of two rounds before (the rounds alternate two stages); then wait for it to arrive,
	// so the last event of a lead shows its final state.
	final = "disqualified"
	for _, l := range []string{alpha, beta, pool} {
		w.api.Data(t, `mutation($id: ID!, $to: String!) { transitionLead(input: {leadId: $id, toStage: $to,
			reasonCode: "no_budget", reason: "path test"}) { lead { id } } }`,
			map[string]any{"id": l, "to": final}, &struct{}{})
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		settled := true
		for _, cl := range clients {
			settled = settled && cl.settled(len(subs), final, pool, map[string]string{"alpha": alpha, "beta": beta}[cl.c.team])
		}
		if settled {
			break
		}
	}
	for _, cl := range clients {
		h := w.hidden[cl.c.name]
		api := w.api.As(t, cl.c.role, cl.c.team, w.users[cl.c.name])
		cl.mu.Lock()
		for i, p := range subs {
			last := map[string]wsEvent{}
			for _, ev := range cl.events[i] {
				if err := h.checkEvent(ev.resp); err != nil {
					fails[p.name] = fmt.Errorf("subscription %s as %s, lead %s: %v", p.name, cl.c.name, ev.leadID, err)
				}
				last[ev.leadID] = ev
			}
			for _, want := range []string{pool, map[string]string{"alpha": alpha, "beta": beta}[cl.c.team]} {
				if want != "" && last[want].leadID == "" {
					fails[p.name] = fmt.Errorf("subscription %s as %s: no event of visible lead %s in %d events (first errors %+v)",
						p.name, cl.c.name, want, len(cl.events[i]), firstErrors(cl.events[i]))
				}
			}
			if p.leadSel == "" {
				continue
			}
			for id, ev := range last {
				var node struct{ Node any }
				r := api.Do(t, `query($id: ID!) { node(id: $id) { ... on Lead { `+p.leadSel+` } } }`, map[string]any{"id": id})
				_ = json.Unmarshal(r.Data, &node)
				if a, b := stable(ev.lead), stable(node.Node); a != b {
					fails[p.name] = fmt.Errorf("subscription %s as %s: lead %s differs from HTTP:\n ws   %s\n http %s", p.name, cl.c.name, id, a, b)
				}
			}
		}
		cl.mu.Unlock()
	}
	return fails
}

// stable encodes v without the fields that change with the clock.
func stable(v any) string {
	var strip func(any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, e := range x {
				if k != "timeInStage" && k != "seconds" {
					out[k] = strip(e)
				}
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = strip(e)
			}
			return out
		}
		return v
	}
	raw, _ := json.Marshal(strip(v))
	return string(raw)
}

func firstErrors(evs []wsEvent) []apitest.Error {
	for _, e := range evs {
		if len(e.resp.Errors) > 0 {
			return e.resp.Errors
		}
	}
	return nil
}

// runQueriesOverWebsocket sends every query path over graphql-transport-ws as each caller and
// requires the answer of HTTP, byte for byte (clock fields aside), and the same checks.
func (w *pathWorld) runQueriesOverWebsocket(t *testing.T, queries []pathCase) map[string]error {
	fails := map[string]error{}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	for _, c := range pathCallers {
		cl := w.dial(ctx, t, c)
		go cl.read(ctx)
		api := w.api.As(t, c.role, c.team, w.users[c.name])
		h := w.hidden[c.name]
		type sent struct {
			p    pathCase
			vars map[string]any
		}
		var all []sent
		for _, p := range queries {
			for _, vars := range w.pathVars(p, h) {
				all = append(all, sent{p, vars})
			}
		}
		for i, s := range all {
			cl.send(ctx, t, map[string]any{"id": strconv.Itoa(i), "type": "subscribe",
				"payload": map[string]any{"query": s.p.query, "variables": s.vars}})
		}
		for !cl.answered(len(all)) {
			select {
			case <-ctx.Done():
				t.Fatalf("%s: websocket answers missing", c.name)
			case <-time.After(20 * time.Millisecond):
			}
		}
		_ = cl.ws.CloseNow()
		cl.mu.Lock()
		for i, s := range all {
			ev := cl.events[i][0]
			if err := h.check(ev.resp); err != nil {
				fails[s.p.name] = fmt.Errorf("websocket %s as %s: %v", s.p.name, c.name, err)
				continue
			}
			r := api.Do(t, s.p.query, s.vars)
			var a, b any
			_ = json.Unmarshal(ev.resp.Data, &a)
			_ = json.Unmarshal(r.Data, &b)
			if sa, sb := stable(a), stable(b); sa != sb {
				fails[s.p.name] = fmt.Errorf("websocket %s as %s differs from HTTP:\n ws   %s\n http %s", s.p.name, c.name, sa, sb)
			}
		}
		cl.mu.Unlock()
	}
	return fails
}

// answered reports whether each of the first n operations has its answer.
func (cl *wsClient) answered(n int) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for i := range n {
		if len(cl.events[i]) == 0 {
			return false
		}
	}
	return true
}
