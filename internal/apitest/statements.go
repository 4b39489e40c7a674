package apitest

import (
	"context"
	"strings"
	"sync"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/server"
	"github.com/qualify/qualify/internal/store"
)

// Statements records the SQL statements sent on behalf of an HTTP request (its context carries
// the server's request id) or of a context from Mark, so a test can count what one operation
// costs while the app's background work (jobs, heartbeats) runs beside it uncounted.
type Statements struct {
	mu   sync.Mutex
	list []string
}

type markKey struct{}

// CountStatements returns db with an ent client that reports to the returned Statements every
// statement (query or exec, not begin or commit) sent for a request or with a marked context. Start the app on
// the returned db so that every hook it installs is on the counted client.
func CountStatements(db *store.DB) (*store.DB, *Statements) {
	s := &Statements{}
	drv := dialect.DebugWithContext(entsql.OpenDB(db.Dialect, db.SQL), func(ctx context.Context, v ...any) {
		if (ctx.Value(markKey{}) != s && server.RequestID(ctx) == "") || len(v) == 0 {
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

// Len is the number of statements recorded since the last Take.
func (s *Statements) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.list)
}

// Take returns the statements recorded since the last Take, and forgets them.
func (s *Statements) Take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.list
	s.list = nil
	return out
}
