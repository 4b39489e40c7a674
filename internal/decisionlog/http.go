package decisionlog

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/dberr"
	"github.com/qualify/qualify/internal/domainerr"
)

// ExportOperation is the admin operation the HTTP export is judged as by the access policy
// (data.qualify.config.authz.admin_operations): revops and admin may run it.
const ExportOperation = "exportDecisions"

// Authorizer judges an HTTP route as the API judges a root field and returns the context that
// carries the scope it allows (authz.Extension.Authorize).
type Authorizer func(ctx context.Context, kind, operation string) (context.Context, error)

// ExportHandler serves GET /export/decisions.ndjson?from=&to=&since=: the logged decisions as
// OPA decision-log events, one JSON object a line, oldest first, streamed page by page (from and
// to RFC 3339, since a duration such as 24h), exactly as `qualify decisions export` writes them.
func ExportHandler(client *ent.Client, authorize Authorizer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		from, to, err := exportRange(r, time.Now())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ctx, err := authorize(r.Context(), "admin", ExportOperation)
		if err != nil {
			http.Error(w, err.Error(), statusOf(err))
			return
		}
		out := &flushWriter{w: w, rc: http.NewResponseController(w)}
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.Header().Set("Content-Disposition", `attachment; filename="decisions.ndjson"`)
		if _, err := Export(ctx, client, out, from, to); err != nil && !out.wrote {
			// Nothing sent yet: the status can still say what happened. Later, the stream ends
			// short, which a reader of NDJSON sees as a missing last line.
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Del("Content-Disposition")
			http.Error(w, "decision export failed: "+err.Error(), statusOf(err))
		}
	})
}

func exportRange(r *http.Request, now time.Time) (from, to time.Time, err error) {
	q := r.URL.Query()
	if v := q.Get("from"); v != "" {
		if from, err = time.Parse(time.RFC3339, v); err != nil {
			return from, to, fmt.Errorf("from: want an RFC 3339 time: %w", err)
		}
	}
	if v := q.Get("to"); v != "" {
		if to, err = time.Parse(time.RFC3339, v); err != nil {
			return from, to, fmt.Errorf("to: want an RFC 3339 time: %w", err)
		}
	}
	if v := q.Get("since"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return from, to, fmt.Errorf("since: want a positive duration such as 24h")
		}
		from = now.Add(-d)
	}
	return from, to, nil
}

func statusOf(err error) int {
	var coded domainerr.Coded
	switch {
	case errors.As(err, &coded):
		return coded.Code().HTTPStatus()
	case errors.Is(err, context.DeadlineExceeded):
		return domainerr.CodeTimeout.HTTPStatus()
	case dberr.Classify(err) == dberr.Unavailable:
		return domainerr.CodeUnavailable.HTTPStatus()
	}
	return http.StatusInternalServerError
}

// flushWriter sends each page of events as it is written, so a long export streams instead of
// collecting in the server's buffers.
type flushWriter struct {
	w     http.ResponseWriter
	rc    *http.ResponseController
	wrote bool
}

func (f *flushWriter) Write(p []byte) (int, error) {
	f.wrote = true
	return f.w.Write(p)
}

// Flush is called by Export after each page.
func (f *flushWriter) Flush() { _ = f.rc.Flush() }
