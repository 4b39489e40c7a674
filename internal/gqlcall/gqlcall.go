// Package gqlcall runs a GraphQL operation in-process through the API's own handler with the
// caller's headers, for HTTP endpoints (the CSV exports) that must answer exactly what the
// GraphQL API answers that caller: the same authentication, authorisation, row filter and figures.
package gqlcall

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
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
		http.Error(w, resp.Errors[0].Message, Status(code))
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

// Status is the HTTP status of a GraphQL error's extensions.code.
func Status(code string) int {
	switch code {
	case "UNAUTHENTICATED":
		return http.StatusUnauthorized
	case "FORBIDDEN":
		return http.StatusForbidden
	case "VALIDATION_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT", "COST_LIMIT":
		return http.StatusBadRequest
	case "RATE_LIMITED", "CONCURRENCY_LIMIT":
		return http.StatusTooManyRequests
	case "UNAVAILABLE":
		return http.StatusServiceUnavailable
	case "TIMEOUT", "POLICY_TIMEOUT":
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
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
