package heartbeat_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/heartbeat"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

type replica struct {
	ID, Revision, RevisionHash string
	Self                       bool
}

// policyStatus.replicas lists every live replica with the revision it serves: this one (self,
// its active revision) and another one writing its heartbeat to the same database, which is
// listed no more once it stops.
func TestReplicasServeRevisions(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db, func(c *app.Config) { c.ReplicaHeartbeat = 100 * time.Millisecond })
		other := heartbeat.New(db.Client, 100*time.Millisecond, func() (string, string) { return "v-old", "0ld0hash" }, slog.Default())
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); other.Run(ctx) }()
		defer func() { stop(); <-done }()

		list := func() (active string, rs []replica) {
			var out struct {
				PolicyStatus struct {
					Active   struct{ Hash string }
					Replicas []replica
				}
			}
			api.Data(t, `{ policyStatus { active { hash } replicas { id revision revisionHash self } } }`, nil, &out)
			return out.PolicyStatus.Active.Hash, out.PolicyStatus.Replicas
		}
		wait := func(what string, ok func(active string, rs []replica) bool) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for {
				active, rs := list()
				if ok(active, rs) {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: replicas %+v (active %s)", what, rs, active)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		wait("both replicas", func(active string, rs []replica) bool {
			var self, old int
			for _, r := range rs {
				if r.Self && r.RevisionHash == active && r.Revision != "" {
					self++
				}
				if !r.Self && r.Revision == "v-old" && r.RevisionHash == "0ld0hash" {
					old++
				}
			}
			return len(rs) == 2 && self == 1 && old == 1
		})
		stop()
		<-done
		wait("the stopped replica gone", func(active string, rs []replica) bool {
			return len(rs) == 1 && rs[0].Self && rs[0].RevisionHash == active
		})
	})
}
