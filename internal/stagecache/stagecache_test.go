package stagecache_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/internal/stagecache"
	"github.com/qualify/qualify/internal/testenv"
)

// The first page after a start or an activation asks for 50 stages at once: they are read in
// one statement, not one per lead that missed the empty cache.
func TestConcurrentMissesLoadOnce(t *testing.T) {
	db := testenv.SQLite(t)
	ctx := context.Background()
	s := db.Client.Stage.Create().SetKey("cache-test").SetName("Cache test").SetPosition(1).SetKind(stage.KindOPEN).SaveX(ctx)
	var n atomic.Int64
	drv := dialect.DebugWithContext(entsql.OpenDB(db.Dialect, db.SQL), func(context.Context, ...any) {
		n.Add(1)
		time.Sleep(50 * time.Millisecond) // a loaded database: the other misses arrive meanwhile
	})
	c := stagecache.New(ent.NewClient(ent.Driver(drv)))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if got, err := c.Get(ctx, s.ID); err != nil || got.Key != "cache-test" {
				t.Errorf("Get = %v, %v", got, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if got := n.Load(); got != 1 {
		t.Errorf("50 concurrent misses ran %d statements, want 1", got)
	}
}
