package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/principal"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
	"github.com/qualify/qualify/internal/webhook"
)

// receiver is a webhook consumer written from the Standard Webhooks specification alone (not
// the library the server signs with): it verifies each request against the secrets it holds
// and counts the events it accepted by webhook-id. While down it answers 503.
type receiver struct {
	mu       sync.Mutex
	secrets  []string
	down     bool
	accepted map[string]int
	types    map[string]string
	bad      []string
	srv      *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{accepted: map[string]int{}, types: map[string]string{}}
	r.srv = httptest.NewServer(r)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	id := req.Header.Get("webhook-id")
	if !r.verify(req.Header, body) {
		r.bad = append(r.bad, id)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(body, &p)
	r.accepted[id]++
	r.types[id] = p.Type
	w.WriteHeader(http.StatusNoContent)
}

// verify per the spec: HMAC-SHA256 over "id.timestamp.body" with the base64 key after whsec_,
// any of the space-separated v1 signatures, and a timestamp within 5 minutes.
func (r *receiver) verify(h http.Header, body []byte) bool {
	ts := h.Get("webhook-timestamp")
	var sec int64
	if err := json.Unmarshal([]byte(ts), &sec); err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	for _, secret := range r.secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			continue
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(h.Get("webhook-id") + "." + ts + "."))
		mac.Write(body)
		want := mac.Sum(nil)
		for _, s := range strings.Fields(h.Get("webhook-signature")) {
			if v, sig, ok := strings.Cut(s, ","); ok && v == "v1" {
				if got, err := base64.StdEncoding.DecodeString(sig); err == nil && hmac.Equal(got, want) {
					return true
				}
			}
		}
	}
	return false
}

func (r *receiver) set(down bool, secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = down
	if secrets != nil {
		r.secrets = secrets
	}
}

func (r *receiver) snapshot() (map[string]int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.accepted {
		out[k] = v
	}
	return out, append([]string(nil), r.bad...)
}

func fastDelivery(c *app.Config) {
	c.Webhooks = webhook.Config{BaseBackoff: 50 * time.Millisecond, MaxBackoff: 400 * time.Millisecond,
		MaxAttempts: 1000, HTTP: webhook.Config{}.HTTP}
	c.Webhooks.HTTP.AllowPrivate = true // the receiver is on loopback
	c.Webhooks.HTTP.Timeout = 10 * time.Second
}

func createEndpoint(t *testing.T, api *apitest.Instance, url string, extra string) (id, secret string) {
	t.Helper()
	var out struct {
		CreateWebhookEndpoint struct {
			Endpoint struct{ ID string }
			Secret   string
		}
	}
	api.Data(t, `mutation($u: String!) { createWebhookEndpoint(input: {url: $u`+extra+`}) { endpoint { id } secret } }`,
		map[string]any{"u": url}, &out)
	return out.CreateWebhookEndpoint.Endpoint.ID, out.CreateWebhookEndpoint.Secret
}

func createLead(t *testing.T, api *apitest.Instance, email string) string {
	t.Helper()
	var out struct{ CreateLead struct{ ID string } }
	api.Data(t, `mutation($e: String!) { createLead(input: {lastName: "Hook", email: $e, source: WEB_FORM}) { id } }`,
		map[string]any{"e": email}, &out)
	return out.CreateLead.ID
}

// eventually polls cond until it holds or a generous deadline passes (a loaded machine).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Every committed change reaches a verifying receiver exactly once, across an outage of the
// receiver and its recovery; the transitions' events carry the stages; a change whose
// transaction rolls back after the outbox row was written is never sent.
func TestDeliveryExactlyOnceAcrossOutage(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db, fastDelivery)
		rcv := newReceiver(t)
		_, secret := createEndpoint(t, api, rcv.srv.URL, "")
		rcv.set(true, secret) // the receiver is down

		var leads []string
		for i := range 4 {
			leads = append(leads, createLead(t, api, "hook"+string(rune('a'+i))+"@example.org"))
		}
		r := api.Do(t, `mutation($l: ID!) { transitionLead(input: {leadId: $l, toStage: "disqualified", reasonCode: "no_budget", reason: "no budget"}) { lead { id } } }`,
			map[string]any{"l": leads[0]})
		if len(r.Errors) > 0 {
			t.Fatalf("transition: %v", r.Errors)
		}

		// A change rolled back after its outbox row was written: a later hook of the same
		// transaction fails.
		failing := lifecycle.New(db.Client, api.App.Engine,
			lifecycle.WithTransitionHook(webhook.NewOutbox(nil).Record),
			lifecycle.WithTransitionHook(func(context.Context, *ent.Client, *ent.StageTransition) error {
				return errors.New("boom after the outbox")
			}))
		ctx := principal.With(context.Background(), principal.System)
		email := "rolled.back@example.org"
		if _, err := failing.CreateLead(ctx, ent.CreateLeadInput{Email: &email, Source: "WEB_FORM"}, nil); err == nil {
			t.Fatal("the failing hook did not fail the change")
		}

		// While the receiver is down, deliveries are attempted and retried.
		eventually(t, "attempts against the down receiver", func() bool {
			n, err := db.Client.WebhookAttempt.Query().Count(context.Background())
			return err == nil && n >= 10
		})
		rcv.set(false)
		want, err := db.Client.WebhookDelivery.Query().Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if want < 5 { // 4 creations and the move, at least (qualification may move more)
			t.Fatalf("%d deliveries in the outbox, want at least 5", want)
		}
		eventually(t, "every delivery accepted", func() bool {
			got, _ := rcv.snapshot()
			return len(got) == want
		})
		// Let the dispatcher run on: nothing is sent twice.
		time.Sleep(500 * time.Millisecond)
		got, bad := rcv.snapshot()
		if len(bad) > 0 {
			t.Errorf("signatures that did not verify: %v", bad)
		}
		for id, n := range got {
			if n != 1 {
				t.Errorf("event %s accepted %d times", id, n)
			}
		}
		if len(got) != want {
			t.Errorf("%d events accepted, %d in the outbox", len(got), want)
		}
		rolled, err := db.Client.Lead.Query().Where().All(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range rolled {
			if l.Email != nil && *l.Email == email {
				t.Fatal("the rolled-back lead exists")
			}
		}
		// The stage change is an event of its own type.
		types := map[string]int{}
		rcv.mu.Lock()
		for _, ty := range rcv.types {
			types[ty]++
		}
		rcv.mu.Unlock()
		if types[webhook.EventLeadCreated] != 4 || types[webhook.EventLeadStageChanged] < 1 {
			t.Errorf("event types %v", types)
		}
	})
}
