package stagefeed_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/dberr"
	"github.com/qualify/qualify/internal/stagefeed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// A subscription's catch-up reads the history table with SQL of its own: with every pooled
// connection taken it is told UNAVAILABLE within the acquisition timeout, not at the end of
// the subscriber's context.
func TestSubscribeHonoursTheAcquireTimeout(t *testing.T) {
	db, err := store.Open(context.Background(), store.Config{URL: testenv.PostgresURL(t), MaxOpenConns: 1, AcquireTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	feed := stagefeed.New(db.Raw, db.Dialect, slog.New(slog.NewTextHandler(io.Discard, nil)))
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, after := range []int{0, 1} {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if _, err := feed.Subscribe(sctx, after); !errors.Is(err, dberr.ErrPoolTimeout) {
			t.Errorf("Subscribe(after: %d) with the pool exhausted: %v, want ErrPoolTimeout", after, err)
		}
		cancel()
	}
}
