// Package console serves the web console at /console: a page, its script and stylesheet, built
// from src/ by `make console` (go run ./internal/console/build) and embedded, so the binary
// serves it offline and `make run` needs no Node. The console talks to /graphql like any client.
package console

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:generate go run ./build -dir .

//go:embed dist
var dist embed.FS

type asset struct {
	body        []byte
	contentType string
	etag        string
}

// Prefix is the path the console is served under.
const Prefix = "/console/"

// Handler serves the console under Prefix: the page for Prefix itself and for any unknown path
// (the console routes with the URL's fragment), the built assets by name.
func Handler() http.Handler {
	assets := load()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), strings.TrimSuffix(Prefix, "/"))
		a, ok := assets[strings.TrimPrefix(name, "/")]
		if !ok {
			a = assets["index.html"]
		}
		h := w.Header()
		// The console loads nothing from elsewhere and is framed by nobody.
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Type", a.contentType)
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", a.etag)
		if r.Header.Get("If-None-Match") == a.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = w.Write(a.body)
	})
}

func load() map[string]asset {
	types := map[string]string{
		".html": "text/html; charset=utf-8",
		".js":   "text/javascript; charset=utf-8",
		".css":  "text/css; charset=utf-8",
	}
	out := map[string]asset{}
	entries, err := fs.ReadDir(dist, "dist")
	if err != nil {
		panic(err) // the embed directive guarantees dist exists
	}
	for _, e := range entries {
		body, err := fs.ReadFile(dist, "dist/"+e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		out[e.Name()] = asset{body: body, contentType: types[path.Ext(e.Name())], etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	if _, ok := out["index.html"]; !ok {
		panic("console: dist/index.html is missing; run make console")
	}
	return out
}
