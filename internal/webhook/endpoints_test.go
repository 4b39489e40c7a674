package webhook_test

import (
	"context"
	"testing"
	"time"

	"github.com/qualify/qualify/ent/webhookdelivery"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// Endpoints are admin operations; internal URLs are refused unless allowed; a rotated secret
// leaves the previous one valid for its grace; an endpoint failing longer than DisableAfter is
// disabled and shown to its owner, and re-enabling it delivers what was pending; a redelivery sends
// the same webhook-id again.
func TestEndpointLifecycle(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db, fastDelivery, func(c *app.Config) { c.Webhooks.DisableAfter = 300 * time.Millisecond })
		rcv := newReceiver(t)

		bdr := api.As(t, "bdr", "north", "")
		if e := bdr.Fail(t, "FORBIDDEN", `mutation { createWebhookEndpoint(input: {url: "https://example.com/h"}) { secret } }`, nil); e.Message == "" {
			t.Error("no message")
		}
		strict := apitest.Start(t, testenv.SQLite(t))
		for _, u := range []string{"http://127.0.0.1:9/h", "http://169.254.169.254/latest", "ftp://example.com/", "http://localhost/h"} {
			e := strict.Fail(t, "VALIDATION_FAILED", `mutation($u: String!) { createWebhookEndpoint(input: {url: $u}) { secret } }`, map[string]any{"u": u})
			if e.Extensions["field"] != "input.url" {
				t.Errorf("%s: %v", u, e.Extensions)
			}
		}
		strict.Fail(t, "VALIDATION_FAILED", `mutation { createWebhookEndpoint(input: {url: "https://example.com/h", eventTypes: ["lead.deleted"]}) { secret } }`, nil)

		id, old := createEndpoint(t, api, rcv.srv.URL, `, eventTypes: ["lead.created"]`)
		var rot struct {
			RotateWebhookSecret struct{ Secret string }
		}
		api.Data(t, `mutation($id: ID!) { rotateWebhookSecret(id: $id, graceSeconds: 3600) { secret } }`, map[string]any{"id": id}, &rot)
		if rot.RotateWebhookSecret.Secret == old || rot.RotateWebhookSecret.Secret == "" {
			t.Fatal("no new secret")
		}
		// A receiver still on the old secret verifies during the grace period...
		rcv.set(false, old)
		createLead(t, api, "rot1@example.org")
		eventually(t, "delivery verified with the previous secret", func() bool { got, _ := rcv.snapshot(); return len(got) == 1 })
		// ...and one on the new secret too.
		rcv.set(false, rot.RotateWebhookSecret.Secret)
		createLead(t, api, "rot2@example.org")
		eventually(t, "delivery verified with the new secret", func() bool { got, _ := rcv.snapshot(); return len(got) == 2 })
		if _, bad := rcv.snapshot(); len(bad) > 0 {
			t.Fatalf("unverified: %v", bad)
		}

		// Down for longer than DisableAfter: the endpoint is disabled and its state says why.
		rcv.set(true)
		createLead(t, api, "down@example.org")
		type endpoint struct {
			ID             string
			Enabled        bool
			DisabledReason string
			DisabledAt     *string
		}
		var list struct{ WebhookEndpoints []endpoint }
		eventually(t, "the failing endpoint disabled", func() bool {
			api.Data(t, `{ webhookEndpoints(disabled: true) { id enabled disabledReason disabledAt } }`, nil, &list)
			return len(list.WebhookEndpoints) == 1
		})
		if ep := list.WebhookEndpoints[0]; ep.ID != id || ep.Enabled || ep.DisabledAt == nil || ep.DisabledReason == "" {
			t.Fatalf("disabled endpoint %+v", ep)
		}
		// Disabled, it gets nothing (no delivery is even written for it); re-enabled, the
		// delivery that was pending when it was disabled goes out.
		rcv.set(false)
		createLead(t, api, "while.disabled@example.org")
		time.Sleep(300 * time.Millisecond)
		if got, _ := rcv.snapshot(); len(got) != 2 {
			t.Fatalf("a disabled endpoint received: %v", got)
		}
		api.Data(t, `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: {enabled: true}) { id } }`, map[string]any{"id": id}, &struct{}{})
		eventually(t, "the waiting delivery sent after re-enabling", func() bool { got, _ := rcv.snapshot(); return len(got) == 3 })

		// The delivery log: attempts with status codes and timings.
		var log struct {
			WebhookDeliveries []struct {
				ID         string
				EventID    string
				Status     string
				Attempts   int
				AttemptLog []struct {
					StatusCode *int
					DurationMs int
				}
			}
		}
		// The receiver answers before the dispatcher records the delivery: wait for the record.
		eventually(t, "three deliveries recorded as delivered", func() bool {
			api.Data(t, `query($id: ID!) { webhookDeliveries(endpointID: $id, status: DELIVERED) { id eventID status attempts attemptLog { statusCode durationMs } } }`,
				map[string]any{"id": id}, &log)
			return len(log.WebhookDeliveries) == 3
		})
		var failedFirst string
		for _, d := range log.WebhookDeliveries {
			if d.Attempts > 1 {
				failedFirst = d.ID
				if c := d.AttemptLog[0].StatusCode; c == nil || *c != 503 {
					t.Errorf("first attempt %v, want 503", c)
				}
			}
		}
		if failedFirst == "" {
			t.Fatal("no delivery shows its failed attempts")
		}
		// Redelivery sends the same event again.
		before, _ := rcv.snapshot()
		var red struct{ RedeliverWebhook struct{ EventID string } }
		api.Data(t, `mutation($d: ID!) { redeliverWebhook(deliveryID: $d) { eventID } }`, map[string]any{"d": failedFirst}, &red)
		eventually(t, "the redelivery", func() bool {
			got, _ := rcv.snapshot()
			return got[red.RedeliverWebhook.EventID] == before[red.RedeliverWebhook.EventID]+1
		})
		// The receiver answered before the dispatcher recorded it: wait for the record.
		eventually(t, "every delivery recorded as delivered", func() bool {
			n, err := db.Client.WebhookDelivery.Query().Where(webhookdelivery.StatusNEQ(webhookdelivery.StatusDELIVERED)).Count(context.Background())
			return err == nil && n == 0
		})
		api.Data(t, `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, map[string]any{"id": id}, &struct{}{})
	})
}
