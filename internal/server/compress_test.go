package server

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestLargeAnswersAreGzippedWhenAccepted: an answer of the API or of a further route (the CSV
// export) is gzipped for a client that accepts it (a funnel by owner and cohort month with its
// exits is 6.6 MB of JSON at 1M leads), and the same bytes arrive; a client that does not,
// or a small answer, gets plain bytes; websockets still connect (TestWebsocket).
func TestLargeAnswersAreGzippedWhenAccepted(t *testing.T) {
	csv := strings.Repeat("lead,source,stage\n", 500)
	s, _ := newTestServer(t, Config{}, func(d *Deps) {
		d.Routes = map[string]http.Handler{"GET /export/test.csv": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/csv")
			_, _ = io.WriteString(w, csv)
		})}
	})
	name := strings.Repeat("x", 4000)
	serve := func(r *http.Request, gz bool) (*http.Response, string) {
		t.Helper()
		if gz {
			r.Header.Set("Accept-Encoding", "gzip")
		}
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		res := w.Result()
		body := io.Reader(res.Body)
		if res.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(res.Body)
			if err != nil {
				t.Fatalf("%s: %v", r.URL, err)
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("%s: %v", r.URL, err)
		}
		return res, string(b)
	}
	for _, tc := range []struct {
		name  string
		req   func() *http.Request
		large bool
		want  func(string) bool
	}{
		{"graphql", func() *http.Request { return newPost(t, gqlRequest{Query: `{ hello(name: "` + name + `") }`}) }, true,
			func(b string) bool {
				var out gqlResponse
				return json.Unmarshal([]byte(b), &out) == nil && out.Data["hello"] == "hello, "+name
			}},
		{"graphql, small", func() *http.Request { return newPost(t, gqlRequest{Query: `{ hello(name: "x") }`}) }, false,
			func(b string) bool { return strings.Contains(b, `"hello, x"`) }},
		{"csv export", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/export/test.csv", nil) }, true,
			func(b string) bool { return b == csv }},
	} {
		for _, gz := range []bool{true, false} {
			res, body := serve(tc.req(), gz)
			if res.StatusCode != http.StatusOK || !tc.want(body) {
				t.Fatalf("%s (gzip %v): status %d, body %.200q", tc.name, gz, res.StatusCode, body)
			}
			gzipped := res.Header.Get("Content-Encoding") == "gzip"
			if gzipped != (gz && tc.large) {
				t.Errorf("%s (accepts gzip %v): gzipped %v", tc.name, gz, gzipped)
			}
			if tc.large && !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("%s (accepts gzip %v): Vary %q, want Accept-Encoding (caches keep both)", tc.name, gz, res.Header.Get("Vary"))
			}
		}
	}
}
