// Package gqlcall runs a GraphQL operation in-process through the API's own handler with the
// caller's headers, for HTTP endpoints (the CSV exports) that must answer exactly what the
// GraphQL API answers that caller: the same authentication, authorisation, row filter and figures.
package gqlcall

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/qualify/qualify/internal/domainerr"
)

// Do runs query with vars through api as the request r would, and decodes the operation's field
// of data into out. When the call fails it writes the HTTP error to w (the GraphQL error's
// message, with the status its extensions.code means) and returns false.
func Do(w http.ResponseWriter, r *http.Request, api http.Handler, query string, vars map[string]any, field string, out any) bool {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return false
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "/graphql", bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return false
	}
	req.Header = r.Header.Clone()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Del("Accept-Encoding")
	req.RemoteAddr = r.RemoteAddr
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	api.ServeHTTP(rec, req)
	if rec.status != http.StatusOK {
		http.Error(w, strings.TrimSpace(rec.body.String()), rec.status)
		return false
	}
	var resp struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(rec.body.Bytes(), &resp); err != nil {
		http.Error(w, "bad GraphQL response: "+err.Error(), http.StatusBadGateway)
		return false
	}
	if len(resp.Errors) > 0 {
		code, _ := resp.Errors[0].Extensions["code"].(string)
		http.Error(w, resp.Errors[0].Message, domainerr.Code(code).HTTPStatus())
		return false
	}
	raw, ok := resp.Data[field]
	if !ok || string(raw) == "null" {
		http.Error(w, field+" returned nothing", http.StatusInternalServerError)
		return false
	}
	if err := json.Unmarshal(raw, out); err != nil {
		http.Error(w, fmt.Sprintf("bad %s in the GraphQL response: %v", field, err), http.StatusBadGateway)
		return false
	}
	return true
}

// Period reads the query parameters from and to (RFC 3339, or YYYY-MM-DD for midnight UTC) into
// the FunnelPeriod variable the analytics queries take.
func Period(q url.Values) (map[string]any, error) {
	p := map[string]any{}
	for _, name := range []string{"from", "to"} {
		s := q.Get(name)
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, s); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
		p[name] = t
	}
	return p, nil
}

// recorder keeps what the API handler writes.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
