package console_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/console"
)

func get(t *testing.T, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerServesThePageAndItsAssets(t *testing.T) {
	h := console.Handler()
	for path, want := range map[string]string{
		"/console/":         "text/html",
		"/console/app.js":   "text/javascript",
		"/console/app.css":  "text/css",
		"/console/policy/x": "text/html", // the console routes by fragment; any other path is the page
	} {
		rec := get(t, h, path)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), want) {
			t.Errorf("%s: %d %q, want 200 %s", path, rec.Code, rec.Header().Get("Content-Type"), want)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
	}
	page := get(t, h, "/console/").Body.String()
	if !strings.Contains(page, `src="/console/app.js"`) {
		t.Errorf("the page does not load the bundle:\n%s", page)
	}
}

func TestHandlerAnswersNotModifiedForItsETag(t *testing.T) {
	h := console.Handler()
	etag := get(t, h, "/console/app.js").Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if rec := get(t, h, "/console/app.js", "If-None-Match", etag); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("If-None-Match %s: %d with %d bytes", etag, rec.Code, rec.Body.Len())
	}
}
