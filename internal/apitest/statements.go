package apitest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/store"
)

// Statements records the SQL statements sent on behalf of marked contexts (a request served by
// Serve, or a context from Mark), so a test can count what one operation costs while the app's
// background work (jobs, heartbeats) runs beside it uncounted.
type Statements struct {
	mu   sync.Mutex
	list []string
}

type markKey struct{}

// CountStatements returns db with an ent client that reports to the returned Statements every
// statement (query or exec, not begin or commit) sent with a marked context. Start the app on
// the returned db so that every hook it installs is on the counted client.
func CountStatements(db *store.DB) (*store.DB, *Statements) {
	s := &Statements{}
	drv := dialect.DebugWithContext(entsql.OpenDB(db.Dialect, db.SQL), func(ctx context.Context, v ...any) {
		if ctx.Value(markKey{}) != s || len(v) == 0 {
			return
		}
		msg, _ := v[0].(string)
		if i := strings.Index(msg, "query="); i >= 0 {
			s.mu.Lock()
			s.list = append(s.list, msg[i+len("query="):])
			s.mu.Unlock()
		}
	})
	counted := *db
	counted.Client = ent.NewClient(ent.Driver(drv))
	return &counted, s
}

// Mark returns ctx whose statements are recorded.
func (s *Statements) Mark(ctx context.Context) context.Context {
	return context.WithValue(ctx, markKey{}, s)
}

// Serve returns a copy of in whose requests go to a server that marks them.
func (s *Statements) Serve(t testing.TB, in *Instance) *Instance {
	t.Helper()
	h := in.App.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(s.Mark(r.Context())))
	}))
	t.Cleanup(srv.Close)
	cp := *in
	cp.Server = srv
	cp.Header = in.Header.Clone()
	return &cp
}

// Take returns the statements recorded since the last Take, and forgets them.
func (s *Statements) Take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.list
	s.list = nil
	return out
}
