package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/user"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
	"github.com/qualify/qualify/internal/txn"
)

// SQLite has one writer, and writers queue for it. A write that waits longer than the store's
// bound for background work is contention, never INTERNAL: a request keeps its place in the
// queue until its own deadline, and background work (no deadline) is retried by the
// transaction runner.
func TestSQLiteWriterQueueIsNeverInternal(t *testing.T) {
	db := testenv.SQLiteWith(t, func(c *store.Config) { c.SQLiteWriteWait = 200 * time.Millisecond })
	api := apitest.Start(t, db)
	ctx := context.Background()
	// hold takes the writer's turn for d, as a long transaction of another request would.
	hold := func(d time.Duration) {
		t.Helper()
		tx, err := db.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		go func() { time.Sleep(d); _ = tx.Rollback() }()
	}

	hold(time.Second)
	var out struct{ CreateLead struct{ ID string } }
	api.Data(t, `mutation { createLead(input: {lastName: "Queued", source: WEB_FORM}) { id } }`, nil, &out)
	if out.CreateLead.ID == "" {
		t.Fatal("createLead behind a busy writer returned no lead")
	}

	hold(time.Second)
	err := txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
		return tx.User.Create().SetName("Background").SetEmail("bg@example.com").SetRole(user.RoleBDR).Exec(ctx)
	})
	if err != nil {
		t.Fatalf("background write behind a busy writer: %v", err)
	}
}
