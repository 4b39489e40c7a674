package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"
)

// verify is an independent implementation of the Standard Webhooks verification (spec section
// "Verifying webhook authenticity"): HMAC-SHA256 of "id.timestamp.body" under the base64-decoded
// secret after whsec_, compared with each space-separated "v1,<base64>" of webhook-signature.
func verify(secret string, h http.Header, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(h.Get("webhook-signature")) {
		v, sig, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

func TestSignVerifiesIndependently(t *testing.T) {
	old, cur := NewSecret(), NewSecret()
	body := []byte(`{"type":"lead.stage_changed"}`)
	at := time.Unix(1700000000, 0)
	h, err := Sign("msg_1", at, body, cur, old)
	if err != nil {
		t.Fatal(err)
	}
	if h.Get("webhook-timestamp") != "1700000000" || h.Get("webhook-id") != "msg_1" {
		t.Fatalf("headers %v", h)
	}
	for _, s := range []string{cur, old} {
		if !verify(s, h, body) {
			t.Errorf("secret %s does not verify", s)
		}
	}
	if verify(NewSecret(), h, body) {
		t.Error("another secret verifies")
	}
	if verify(cur, h, []byte(`{"type":"lead.created"}`)) {
		t.Error("another body verifies")
	}
	if _, err := Sign("x", at, body, "whsec_!!"); err == nil {
		t.Error("a bad secret signed")
	}
}
