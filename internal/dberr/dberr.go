// Package dberr says what a database driver's error means for the caller: a transient failure a
// transaction may retry (deadlock, serialization failure, lock timeout, a busy SQLite file), a
// database that cannot be reached, or anything else.
package dberr

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// Kind is the class of a database error.
type Kind int

// The kinds Classify tells apart.
const (
	// Other is every error that is neither transient nor an outage: constraint violations, bad
	// SQL (bugs), errors that are not the database's.
	Other Kind = iota
	// Transient is a failure of one attempt that the same transaction may succeed at when run
	// again: deadlock (40P01), serialization failure (40001), lock not available (55P03),
	// SQLITE_BUSY / SQLITE_LOCKED.
	Transient
	// Unavailable is a database that cannot be reached or lost the connection: refused or timed
	// out connects, connections closed under the query, the server shutting down, a pool with no
	// free connection within its acquisition timeout.
	Unavailable
)

func (k Kind) String() string {
	switch k {
	case Transient:
		return "transient"
	case Unavailable:
		return "unavailable"
	}
	return "other"
}

// ErrPoolTimeout is returned when no pooled connection became free within the acquisition
// timeout: the database is too slow or unreachable.
var ErrPoolTimeout = errors.New("no database connection free within the acquisition timeout")

// ErrLockTimeout is what a store returns when its wait for a lock of its own ran out (the SQLite
// store's turn to write): like PostgreSQL's lock_not_available, the same transaction may succeed
// when run again.
var ErrLockTimeout = errors.New("lock wait timed out")

// Classify returns the kind of err. A context's own cancellation or deadline is Other: the
// caller gave up, the database did not fail.
func Classify(err error) Kind {
	if err == nil {
		return Other
	}
	if errors.Is(err, ErrPoolTimeout) {
		return Unavailable
	}
	if errors.Is(err, ErrLockTimeout) {
		return Transient
	}
	if pg, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pgKind(pg.Code)
	}
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		switch se.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return Transient
		case 10, 14: // SQLITE_IOERR, SQLITE_CANTOPEN
			return Unavailable
		}
		return Other
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Other
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return Unavailable
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return Unavailable
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return Unavailable
	}
	if pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "conn closed") {
		return Unavailable
	}
	return Other
}

// pgKind classifies a PostgreSQL SQLSTATE.
func pgKind(code string) Kind {
	switch code {
	case "40P01", "40001", "55P03":
		return Transient
	case "57P01", "57P02", "57P03", // admin_shutdown (pg_terminate_backend), crash_shutdown, cannot_connect_now
		"53300", // too_many_connections
		"3D000": // invalid_catalog_name: the database is gone
		return Unavailable
	}
	if strings.HasPrefix(code, "08") { // connection exception
		return Unavailable
	}
	return Other
}
