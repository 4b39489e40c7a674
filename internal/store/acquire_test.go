package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/dberr"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// Raw SQL through the ent client (the funnel's analytics) waits for a pooled connection no longer
// than the acquisition timeout, like ent's own queries: with the pool exhausted it is told
// ErrPoolTimeout (UNAVAILABLE) instead of waiting out the request's deadline. A connection it
// took goes back to the pool when its rows are closed.
func TestRawSQLHonoursTheAcquireTimeout(t *testing.T) {
	db, err := store.Open(context.Background(), store.Config{URL: testenv.PostgresURL(t), MaxOpenConns: 1, AcquireTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// A query's connection is back in the pool once its rows are closed: twice in a row on a
	// pool of one.
	for range 2 {
		rows, err := db.Client.QueryContext(ctx, "SELECT 1")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Client.ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}

	// The only connection is held by a transaction: raw SQL is refused, not queued.
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := db.Client.QueryContext(ctx, "SELECT 1"); !errors.Is(err, dberr.ErrPoolTimeout) {
		t.Errorf("QueryContext with the pool exhausted: %v, want ErrPoolTimeout", err)
	}
	if _, err := db.Client.ExecContext(ctx, "SELECT 1"); !errors.Is(err, dberr.ErrPoolTimeout) {
		t.Errorf("ExecContext with the pool exhausted: %v, want ErrPoolTimeout", err)
	}
}

// SQL written by hand outside ent (the schema check of /readyz, the live feed's catch-up and
// LISTEN connection) waits for a pooled connection no longer than the acquisition timeout too.
func TestHandWrittenSQLHonoursTheAcquireTimeout(t *testing.T) {
	db, err := store.Open(context.Background(), store.Config{URL: testenv.PostgresURL(t), MaxOpenConns: 1, AcquireTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckSchema(ctx); err != nil {
		t.Fatalf("schema check with a free pool: %v", err)
	}
	var one int
	if err := store.QueryRow(ctx, db.Raw, "SELECT 1", nil, &one); err != nil || one != 1 {
		t.Fatalf("QueryRow with a free pool: %d, %v", one, err)
	}

	tx, err := db.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for name, call := range map[string]func(context.Context) error{
		"CheckSchema": db.CheckSchema,
		"Raw.Conn": func(ctx context.Context) error {
			c, err := db.Raw.Conn(ctx)
			if err == nil {
				c.Close()
			}
			return err
		},
		"Raw.QueryContext": func(ctx context.Context) error {
			rows, err := db.Raw.QueryContext(ctx, "SELECT 1")
			if err == nil {
				rows.Close()
			}
			return err
		},
		"QueryRow": func(ctx context.Context) error { return store.QueryRow(ctx, db.Raw, "SELECT 1", nil, &one) },
	} {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := call(ctx); !errors.Is(err, dberr.ErrPoolTimeout) {
			t.Errorf("%s with the pool exhausted: %v, want ErrPoolTimeout", name, err)
		}
		cancel()
	}
}
