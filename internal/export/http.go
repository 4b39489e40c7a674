package export

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/dberr"
	"github.com/qualify/qualify/internal/domainerr"
)

// The operations the access policy judges the exports as. They are queries: whoever may read
// leads through the API may export the ones they see (BDRs their own and their team's).
const (
	LeadsOperation       = "exportLeads"
	TransitionsOperation = "exportTransitions"
)

// Authorizer judges an HTTP route as the API judges a root field and returns the context that
// carries the scope it allows (authz.Extension.Authorize).
type Authorizer func(ctx context.Context, kind, operation string) (context.Context, error)

// Routes returns the export handlers by mux pattern:
//
//	GET /export/leads.csv, /export/leads.ndjson, /export/transitions.csv, /export/transitions.ndjson
//
// with the filters of ParseFilter as query parameters (createdAfter, createdBefore, stage,
// source, owner).
func Routes(c *ent.Client, authorize Authorizer) map[string]http.Handler {
	routes := map[string]http.Handler{}
	for _, f := range []Format{CSV, NDJSON} {
		routes["GET /export/leads."+string(f)] = handler(c, authorize, LeadsOperation, f, Leads)
		routes["GET /export/transitions."+string(f)] = handler(c, authorize, TransitionsOperation, f, Transitions)
	}
	return routes
}

type exportFunc func(context.Context, *ent.Client, io.Writer, Format, Filter) (int, error)

func handler(c *ent.Client, authorize Authorizer, op string, format Format, run exportFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		filter, err := ParseFilter(r.URL.Query())
		if err != nil {
			writeError(w, err)
			return
		}
		ctx, err := authorize(r.Context(), "query", op)
		if err != nil {
			writeError(w, err)
			return
		}
		out := &responseWriter{w: w, rc: http.NewResponseController(w), format: format,
			file: path.Base(r.URL.Path)}
		if _, err := run(ctx, c, out, format, filter); err != nil && !out.wrote {
			writeError(w, err)
		}
		// After the first page the status is sent: an error ends the stream short.
	})
}

// responseWriter sets the headers on the first write (so an error before any row can still be
// a JSON error) and flushes each page as the export finishes it.
type responseWriter struct {
	w      http.ResponseWriter
	rc     *http.ResponseController
	format Format
	file   string
	wrote  bool
}

func (o *responseWriter) Write(p []byte) (int, error) {
	if !o.wrote {
		o.wrote = true
		o.w.Header().Set("Content-Type", o.format.ContentType())
		o.w.Header().Set("Content-Disposition", `attachment; filename="`+o.file+`"`)
		o.w.Header().Set("Cache-Control", "no-store")
		o.w.WriteHeader(http.StatusOK)
	}
	return o.w.Write(p)
}

// Flush is called by the export after each page.
func (o *responseWriter) Flush() { _ = o.rc.Flush() }

// writeError answers with a GraphQL-shaped error body: {"errors":[{"message", "extensions":
// {"code", "field", "reason"}}]}, as the API reports the same errors.
func writeError(w http.ResponseWriter, err error) {
	code, msg := domainerr.CodeInternal, "export failed"
	ext := map[string]any{}
	var coded domainerr.Coded
	switch {
	case errors.As(err, &coded):
		code, msg = coded.Code(), err.Error()
		for k, v := range coded.Extensions() {
			ext[k] = v
		}
	case errors.Is(err, context.DeadlineExceeded):
		code, msg = domainerr.CodeTimeout, "export timed out"
	case dberr.Classify(err) == dberr.Unavailable:
		code, msg = domainerr.CodeUnavailable, "database unavailable"
	}
	status := code.HTTPStatus()
	ext["code"] = code
	body := map[string]any{"message": msg, "extensions": ext}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{body}})
}
