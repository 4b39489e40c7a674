package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

func TestGET(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		status int
		data   string // the value of data.hello, when set
	}{
		{name: "query", query: `query Hi { hello(name: "get") }`, status: http.StatusOK, data: "hello, get"},
		{name: "mutation refused", query: `mutation { touch }`, status: http.StatusNotAcceptable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Config{})
			r := httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(tt.query), nil)
			res, body := do(t, s.Handler(), r)
			if res.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d (%+v)", res.StatusCode, tt.status, body)
			}
			if tt.data != "" && body.Data["hello"] != tt.data {
				t.Errorf("data = %v, want hello %q", body.Data, tt.data)
			}
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	big := `{"query":"{ hello }","variables":{"pad":"` + strings.Repeat("x", 2048) + `"}}`
	tests := []struct {
		name          string
		contentLength int64 // -1: unknown (chunked), so the limit is found while reading
	}{
		{name: "declared length", contentLength: int64(len(big))},
		{name: "chunked", contentLength: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Config{MaxBodyBytes: 1024})
			r := httptest.NewRequest(http.MethodPost, "/graphql", io.NopCloser(strings.NewReader(big)))
			r.ContentLength = tt.contentLength
			r.Header.Set("Content-Type", "application/json")
			res, body := do(t, s.Handler(), r)
			if res.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("status = %d, want 413", res.StatusCode)
			}
			e := onlyError(t, body)
			if e.Extensions["code"] != "REQUEST_TOO_LARGE" || e.Extensions["limit"] != float64(1024) {
				t.Errorf("error = %+v", e)
			}
		})
	}

	s, _ := newTestServer(t, Config{MaxBodyBytes: 1024})
	if res, body := post(t, s.Handler(), gqlRequest{Query: `{ hello }`}); res.StatusCode != http.StatusOK || len(body.Errors) > 0 {
		t.Errorf("small body: status %d, errors %+v", res.StatusCode, body.Errors)
	}
}

func TestAutomaticPersistedQuery(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	const query = `query Persisted { hello(name: "apq") }`
	sum := sha256.Sum256([]byte(query))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}

	_, body := post(t, s.Handler(), gqlRequest{Extensions: ext})
	if e := onlyError(t, body); e.Message != "PersistedQueryNotFound" || e.Extensions["code"] != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("hash only, first time: %+v", e)
	}
	_, body = post(t, s.Handler(), gqlRequest{Query: query, Extensions: ext})
	if len(body.Errors) > 0 || body.Data["hello"] != "hello, apq" {
		t.Fatalf("hash and query: %+v", body)
	}
	_, body = post(t, s.Handler(), gqlRequest{Extensions: ext})
	if len(body.Errors) > 0 || body.Data["hello"] != "hello, apq" {
		t.Fatalf("hash only, after: %+v", body)
	}
}

func TestRequestTimeout(t *testing.T) {
	s, _ := newTestServer(t, Config{RequestTimeout: 50 * time.Millisecond})
	start := time.Now()
	_, body := post(t, s.Handler(), gqlRequest{Query: `{ slow(ms: 5000) }`})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("answered after %v", took)
	}
	e := onlyError(t, body)
	if e.Extensions["code"] != "TIMEOUT" || e.Extensions["requestId"] == "" {
		t.Errorf("error = %+v, want TIMEOUT with the request id", e)
	}
}

func TestWebsocket(t *testing.T) {
	s, _ := newTestServer(t, Config{AllowedOrigins: []string{"https://app.example.com"}})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	wsURL := "ws" + strings.TrimPrefix(ts.URL, "http") + "/graphql"

	tests := []struct {
		name   string
		origin string
		ok     bool
	}{
		{name: "no origin", origin: "", ok: true},
		{name: "same origin", origin: ts.URL, ok: true},
		{name: "allowed origin", origin: "https://app.example.com", ok: true},
		{name: "foreign origin", origin: "https://evil.example.com", ok: false},
		{name: "allowed host, other scheme", origin: "http://app.example.com", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			header := http.Header{}
			if tt.origin != "" {
				header.Set("Origin", tt.origin)
			}
			conn, res, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{
				HTTPHeader:   header,
				Subprotocols: []string{"graphql-transport-ws"},
			})
			if !tt.ok {
				if err == nil {
					_ = conn.CloseNow()
					t.Fatal("connected, want refusal")
				}
				if res == nil || res.StatusCode != http.StatusForbidden {
					t.Fatalf("refusal: %v, response %+v", err, res)
				}
				return
			}
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer func() { _ = conn.CloseNow() }()
			if got := wsQuery(ctx, t, conn, `{ hello(name: "ws") }`); got != `{"hello":"hello, ws"}` {
				t.Errorf("data = %s", got)
			}
		})
	}
}

// wsMessage is a graphql-transport-ws message.
type wsMessage struct {
	ID      string         `json:"id,omitempty"`
	Type    string         `json:"type"`
	Payload map[string]any `json:"payload,omitempty"`
}

// wsQuery runs query over a fresh graphql-transport-ws connection and returns its data as JSON.
func wsQuery(ctx context.Context, t *testing.T, conn *websocket.Conn, query string) string {
	t.Helper()
	send := func(m wsMessage) {
		if err := wsjson.Write(ctx, conn, m); err != nil {
			t.Fatalf("write %s: %v", m.Type, err)
		}
	}
	var got struct {
		Type    string `json:"type"`
		Payload struct {
			Data json.RawMessage `json:"data"`
		} `json:"payload"`
	}
	recv := func(want string) {
		for {
			if err := wsjson.Read(ctx, conn, &got); err != nil {
				t.Fatalf("read (want %s): %v", want, err)
			}
			if got.Type != "ping" && got.Type != "pong" {
				break
			}
		}
		if got.Type != want {
			t.Fatalf("message type %s, want %s", got.Type, want)
		}
	}
	send(wsMessage{Type: "connection_init"})
	recv("connection_ack")
	send(wsMessage{ID: "1", Type: "subscribe", Payload: map[string]any{"query": query}})
	recv("next")
	data := string(got.Payload.Data)
	recv("complete")
	return data
}
