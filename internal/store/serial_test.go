package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// Writers that contend for a SQLite database all get their turn, even with a busy timeout far
// too short to survive polling: the serial driver queues them instead.
func TestSerialDriverQueuesWriters(t *testing.T) {
	dsn := strings.Replace(SQLiteDSN(filepath.Join(t.TempDir(), "q.db")), "busy_timeout%2810000%29", "busy_timeout%281%29", 1)
	if !strings.Contains(dsn, "busy_timeout%281%29") {
		t.Fatalf("DSN without the busy timeout to shorten: %s", dsn)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE n (v INTEGER)"); err != nil {
		t.Fatal(err)
	}
	drv := newSerialDriver(entsql.OpenDB(dialect.SQLite, db), DefaultSQLiteWriteWait)
	const writers, each = 6, 40
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for range writers {
		wg.Go(func() {
			for range each {
				tx, err := drv.Tx(ctx)
				if err != nil {
					errs <- err
					continue
				}
				var res sql.Result
				if err := tx.Exec(ctx, "INSERT INTO n (v) VALUES (1)", []any{}, &res); err != nil {
					_ = tx.Rollback()
					errs <- err
					continue
				}
				if err := tx.Commit(); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM n").Scan(&n); err != nil || n != writers*each {
		t.Fatalf("%d rows (%v), want %d", n, err, writers*each)
	}
	// A waiter whose context ends leaves the queue with the context's error.
	tx, err := drv.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := drv.Tx(cctx); err != context.Canceled {
		t.Fatalf("waiting with a cancelled context: %v", err)
	}
}
