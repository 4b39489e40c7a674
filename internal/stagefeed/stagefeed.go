// Package stagefeed delivers committed stage changes to subscribers, without losing any. On
// PostgreSQL an event is a NOTIFY sent inside the transaction that writes the transition, so it
// reaches every replica listening, and only if the transaction commits; on SQLite (one process)
// it is handed to local subscribers after the commit. The history table is the source of truth:
// every event carries its transition id as a cursor, a subscriber may resume after one, and
// whenever live delivery may have dropped something (the LISTEN connection was lost, a
// subscriber fell behind) the subscriber catches up from stage_transitions.
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
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/txn"
)

// Channel is the PostgreSQL notification channel.
const Channel = "qualify_lead_stage_changed"

// subscriberBuffer is how many events a subscriber may lag before live delivery skips it and
// it catches up from the table instead.
const subscriberBuffer = 64

// Broker implements lifecycle.Publisher and fans events out to subscribers.
type Broker struct {
	db      store.Raw // bounded waits for a pooled connection, as ent's
	dialect string
	log     *slog.Logger

	mu   sync.Mutex
	subs map[*subscription]struct{}

	reconnects prometheus.Counter
	open       prometheus.GaugeFunc
}

// New returns a Broker over the database the lifecycle writes to.
func New(db store.Raw, dialectName string, log *slog.Logger) *Broker {
	b := &Broker{db: db, dialect: dialectName, log: log, subs: map[*subscription]struct{}{}}
	b.reconnects = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "qualify_stagefeed_listener_reconnects_total",
		Help: "Times the stage-change listener (PostgreSQL LISTEN) lost its connection and connected again.",
	})
	b.open = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "qualify_stagefeed_subscribers",
		Help: "Open stage-change subscriptions (leadStageChanged over websockets).",
	}, func() float64 {
		b.mu.Lock()
		defer b.mu.Unlock()
		return float64(len(b.subs))
	})
	return b
}

// Collectors are the broker's metrics.
func (b *Broker) Collectors() []prometheus.Collector {
	return []prometheus.Collector{b.reconnects, b.open}
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

// Subscribe returns the committed stage changes from now on (after == 0) or after the
// transition with id after, until ctx ends. Delivery is at least once, in commit order as
// far as live delivery goes: an event replayed after a gap may come later than one that
// committed after it, and a replay may repeat one; transitionId tells them apart.
func (b *Broker) Subscribe(ctx context.Context, after int) (<-chan lifecycle.Event, error) {
	s := &subscription{
		live: make(chan lifecycle.Event, subscriberBuffer),
		gap:  make(chan struct{}, 1),
		seen: map[int]time.Time{},
	}
	if after > 0 {
		var at time.Time
		err := store.QueryRow(ctx, b.db, b.sql("SELECT occurred_at FROM stage_transitions WHERE id = ?"), []any{after}, &at)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		s.lastID, s.lastAt = after, at
		s.gap <- struct{}{} // replay what came after the cursor before anything live
	} else {
		s.lastAt = time.Now()
		if err := store.QueryRow(ctx, b.db, "SELECT COALESCE(MAX(id), 0) FROM stage_transitions", nil, &s.lastID); err != nil {
			return nil, err
		}
	}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	out := make(chan lifecycle.Event)
	go func() {
		defer close(out)
		defer func() {
			b.mu.Lock()
			delete(b.subs, s)
			b.mu.Unlock()
		}()
		b.serve(ctx, s, out)
	}()
	return out, nil
}

func (b *Broker) fanOut(ev lifecycle.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		select {
		case s.live <- ev:
		default:
			s.signalGap() // it catches up from the table
		}
	}
}

// signalGaps tells every subscriber that live delivery may have missed events.
func (b *Broker) signalGaps() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.signalGap()
	}
}

// Run listens for notifications on PostgreSQL until ctx ends, reconnecting after failures;
// after each (re)connect the subscribers catch up on what the lost connection missed. On
// SQLite it only waits for ctx.
func (b *Broker) Run(ctx context.Context) error {
	if b.dialect != dialect.Postgres {
		<-ctx.Done()
		return nil
	}
	for first := true; ; first = false {
		err := b.listen(ctx, !first)
		if ctx.Err() != nil {
			return nil
		}
		b.log.Warn("stage-change listener lost its connection; reconnecting", "err", err)
		b.reconnects.Inc()
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// listen holds one pooled connection in LISTEN and fans out what arrives. Once it listens
// after a lost connection (replay), the subscribers catch up from the table: what committed
// while nobody listened is there, and what commits from now on is notified.
func (b *Broker) listen(ctx context.Context, replay bool) error {
	return store.OnPgxConn(ctx, b.db, func(pg *pgx.Conn) error {
		if _, err := pg.Exec(ctx, "LISTEN "+Channel); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		defer func() {
			// Bounded: an unreachable server must not hold the shutdown.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			_, _ = pg.Exec(ctx, "UNLISTEN "+Channel)
		}()
		if replay {
			b.signalGaps()
		}
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

// sql writes a statement's "?" placeholders in the dialect's style.
func (b *Broker) sql(q string) string {
	if b.dialect != dialect.Postgres {
		return q
	}
	return store.Dollars(q, 0)
}
