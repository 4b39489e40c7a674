// Package stagefeed delivers committed stage changes to subscribers. On PostgreSQL an event is a
// NOTIFY sent inside the transaction that writes the transition, so it reaches every replica
// listening, and only if the transaction commits; on SQLite (one process) it is handed to local
// subscribers after the commit.
package stagefeed

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/txn"
)

// Channel is the PostgreSQL notification channel.
const Channel = "qualify_lead_stage_changed"

// subscriberBuffer is how many events a slow subscriber may lag before it misses events.
const subscriberBuffer = 64

// Broker implements lifecycle.Publisher and fans events out to subscribers.
type Broker struct {
	db      *sql.DB
	dialect string
	log     *slog.Logger

	mu   sync.Mutex
	subs map[chan lifecycle.Event]struct{}
}

// New returns a Broker over the database the lifecycle writes to.
func New(db *sql.DB, dialectName string, log *slog.Logger) *Broker {
	return &Broker{db: db, dialect: dialectName, log: log, subs: map[chan lifecycle.Event]struct{}{}}
}

type payload struct {
	LeadID       int       `json:"lead_id"`
	TransitionID int       `json:"transition_id"`
	From         string    `json:"from"`
	To           string    `json:"to"`
	Trigger      string    `json:"trigger"`
	OwnerID      *int      `json:"owner_id,omitempty"`
	At           time.Time `json:"at"`
}

// Publish implements lifecycle.Publisher.
func (b *Broker) Publish(ctx context.Context, tx *ent.Client, ev lifecycle.Event) error {
	if b.dialect != dialect.Postgres {
		txn.AfterCommit(ctx, func() { b.fanOut(ev) })
		return nil
	}
	raw, err := json.Marshal(payload(ev))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "SELECT pg_notify($1, $2)", Channel, string(raw))
	return err
}

// Subscribe returns a channel of events until ctx ends.
func (b *Broker) Subscribe(ctx context.Context) <-chan lifecycle.Event {
	ch := make(chan lifecycle.Event, subscriberBuffer)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
		close(ch)
	}()
	return ch
}

func (b *Broker) fanOut(ev lifecycle.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- ev:
		default:
			b.log.Warn("a stage-change subscriber is too slow; event dropped", "lead", ev.LeadID)
		}
	}
}

// Run listens for notifications on PostgreSQL until ctx ends, reconnecting after failures. On
// SQLite it only waits for ctx.
func (b *Broker) Run(ctx context.Context) error {
	if b.dialect != dialect.Postgres {
		<-ctx.Done()
		return nil
	}
	for {
		err := b.listen(ctx)
		if ctx.Err() != nil {
			return nil
		}
		b.log.Warn("stage-change listener lost its connection; reconnecting", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// listen holds one pooled connection in LISTEN and fans out what arrives.
func (b *Broker) listen(ctx context.Context) error {
	conn, err := b.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("stagefeed: not a pgx connection")
		}
		pg := c.Conn()
		if _, err := pg.Exec(ctx, "LISTEN "+Channel); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		defer func() {
			// Bounded: an unreachable server must not hold the shutdown.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			_, _ = pg.Exec(ctx, "UNLISTEN "+Channel)
		}()
		for {
			n, err := pg.WaitForNotification(ctx)
			if err != nil {
				return err
			}
			var p payload
			if err := json.Unmarshal([]byte(n.Payload), &p); err != nil {
				b.log.Warn("malformed stage-change notification", "err", err)
				continue
			}
			b.fanOut(lifecycle.Event(p))
		}
	})
}
