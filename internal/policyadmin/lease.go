package policyadmin

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync"

	"entgo.io/ent/dialect"
)

// A re-qualification job's runner holds the job's lease from the moment the job is created
// until it has stored the outcome. A job that is QUEUED or RUNNING while nobody holds its lease
// lost its runner (crash, kill, lost host) and is failed by whoever notices first: a starting
// replica, a new job request, or a client reading the job.
//
// The job table has no heartbeat column, and none is needed: on PostgreSQL the lease is a
// session advisory lock, which the server drops with the runner's session, so liveness needs no
// clock and no polling. On SQLite, which one process serves (replicas need PostgreSQL), the lease
// is held in memory.
type leases interface {
	// acquire takes job id's lease. Call it in the transaction that creates the job, so that no
	// one sees the job before its lease is held.
	acquire(ctx context.Context, id int) (lease, error)
	// claimOrphan runs fail while holding job id's lease, if no runner holds it, and reports
	// whether it did.
	claimOrphan(ctx context.Context, id int, fail func() error) (bool, error)
}

// lease is a job's held lease.
type lease interface {
	// check returns an error once the lease may have been lost (the session is gone).
	check(ctx context.Context) error
	release()
}

func newLeases(db *sql.DB, dia string) leases {
	if db != nil && dia == dialect.Postgres {
		return pgLeases{db: db}
	}
	return &localLeases{held: map[int]bool{}}
}

// leaseClass is the first key of the two-key advisory locks of jobs (the second is the job id's
// low 32 bits, unique within the type under global ids); the two-key space is apart from the
// one-key locks of migrations.
const leaseClass = 0x514A4F42 // "QJOB"

type pgLeases struct{ db *sql.DB }

func lockKeys(id int) (int32, int32) { return leaseClass, int32(uint32(id)) }

func (l pgLeases) acquire(ctx context.Context, id int) (lease, error) {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	a, b := lockKeys(id)
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1, $2)", a, b).Scan(&ok); err != nil || !ok {
		discard(conn)
		if err == nil {
			err = errors.New("the job's lease is held elsewhere")
		}
		return nil, err
	}
	return pgLease{conn: conn}, nil
}

func (l pgLeases) claimOrphan(ctx context.Context, id int, fail func() error) (bool, error) {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	a, b := lockKeys(id)
	var free bool
	switch err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1, $2)", a, b).Scan(&free); {
	case err != nil:
		discard(conn)
		return false, err
	case !free:
		// A live runner: the usual answer to a client polling its job. Nothing was locked, so
		// the session goes back to the pool rather than costing a new one per poll.
		_ = conn.Close()
		return false, nil
	}
	defer discard(conn)
	return true, fail()
}

// discard closes conn's session rather than pooling it: that drops its advisory locks whatever
// state it is in, where an unlock that fails would leave a pooled session holding one.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}

type pgLease struct{ conn *sql.Conn }

func (l pgLease) check(ctx context.Context) error { return l.conn.PingContext(ctx) }
func (l pgLease) release()                        { discard(l.conn) }

type localLeases struct {
	mu   sync.Mutex
	held map[int]bool
}

func (l *localLeases) acquire(_ context.Context, id int) (lease, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[id] {
		return nil, errors.New("the job's lease is held")
	}
	l.held[id] = true
	return localLease{l: l, id: id}, nil
}

func (l *localLeases) claimOrphan(_ context.Context, id int, fail func() error) (bool, error) {
	l.mu.Lock()
	held := l.held[id]
	l.mu.Unlock()
	// A job becomes visible only with its lease held, and its runner stores the outcome before
	// it lets go: a job seen unheld here has no runner to race with.
	if held {
		return false, nil
	}
	return true, fail()
}

type localLease struct {
	l  *localLeases
	id int
}

func (localLease) check(context.Context) error { return nil }

func (l localLease) release() {
	l.l.mu.Lock()
	delete(l.l.held, l.id)
	l.l.mu.Unlock()
}
