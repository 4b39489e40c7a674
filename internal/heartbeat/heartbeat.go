// Package heartbeat records which policy revision each server replica serves, in a row each
// replica rewrites on an interval, and lists the replicas seen recently (policyStatus.replicas).
package heartbeat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/policyreplica"
)

// DefaultInterval is how often a replica rewrites its row when none is configured.
const DefaultInterval = 10 * time.Second

// Replica is one replica's last heartbeat.
type Replica struct {
	ID           string    `json:"id"`
	Revision     string    `json:"revision"`
	RevisionHash string    `json:"revisionHash"`
	StartedAt    time.Time `json:"startedAt"`
	SeenAt       time.Time `json:"seenAt"`
	// Self is the replica that answers.
	Self bool `json:"self"`
}

// Beat is this replica's heartbeat.
type Beat struct {
	client   *ent.Client
	id       string
	started  time.Time
	interval time.Duration
	active   func() (revision, hash string)
	log      *slog.Logger
}

// New returns the heartbeat of this replica; active says what it serves now. Interval zero is
// DefaultInterval.
func New(client *ent.Client, interval time.Duration, active func() (revision, hash string), log *slog.Logger) *Beat {
	if interval <= 0 {
		interval = DefaultInterval
	}
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	// The random part tells apart two processes of one host and pid (containers).
	id := fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	return &Beat{client: client, id: id, started: time.Now().UTC(), interval: interval, active: active, log: log}
}

// Run writes the row at once and then every interval until ctx ends, and deletes it on the way
// out, so that a stopped replica is not listed. A failed write is logged; the next one retries.
func (b *Beat) Run(ctx context.Context) {
	t := time.NewTicker(b.interval)
	defer t.Stop()
	for {
		if err := b.beat(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("heartbeat: write", "err", err)
		}
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, _ = b.client.PolicyReplica.Delete().Where(policyreplica.Replica(b.id)).Exec(dctx)
			return
		case <-t.C:
		}
	}
}

func (b *Beat) beat(ctx context.Context) error {
	rev, hash := b.active()
	return b.client.PolicyReplica.Create().
		SetReplica(b.id).SetRevision(rev).SetRevisionHash(hash).SetStartedAt(b.started).SetSeenAt(time.Now().UTC()).
		OnConflictColumns(policyreplica.FieldReplica).
		UpdateRevision().UpdateRevisionHash().UpdateSeenAt().
		Exec(ctx)
}

// List returns the replicas whose heartbeat is at most three intervals old (a replica that died
// drops out), by id, with this one marked Self; this one is listed even before its first write,
// and with what it serves now rather than at its last write.
func (b *Beat) List(ctx context.Context) ([]*Replica, error) {
	rows, err := b.client.PolicyReplica.Query().
		Where(policyreplica.SeenAtGT(time.Now().Add(-3 * b.interval))).
		Order(ent.Asc(policyreplica.FieldReplica)).All(ctx)
	if err != nil {
		return nil, err
	}
	rev, hash := b.active()
	me := &Replica{ID: b.id, Revision: rev, RevisionHash: hash, StartedAt: b.started, SeenAt: time.Now().UTC(), Self: true}
	out := make([]*Replica, 0, len(rows)+1)
	for _, r := range rows {
		if r.Replica != b.id {
			out = append(out, &Replica{ID: r.Replica, Revision: r.Revision, RevisionHash: r.RevisionHash, StartedAt: r.StartedAt, SeenAt: r.SeenAt})
		}
	}
	out = append(out, me)
	slices.SortFunc(out, func(a, b *Replica) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}
