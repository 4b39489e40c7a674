// Package store opens the database (an SQLite file or PostgreSQL) and applies the schema
// migrations committed under migrations/.
package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"go.opentelemetry.io/otel/trace"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" database/sql driver

	"github.com/qualify/qualify/ent"
	_ "github.com/qualify/qualify/ent/runtime" // schema defaults and hooks
)

// DefaultSQLitePath is the database file used when neither URL nor SQLitePath is set.
const DefaultSQLitePath = "qualify.db"

// Config says which database to open.
type Config struct {
	// URL is a postgres:// or postgresql:// URL. Empty means the SQLite file at SQLitePath.
	URL string
	// SQLitePath is the SQLite database file; DefaultSQLitePath when empty.
	SQLitePath string
	// MaxOpenConns caps the connection pool; 0 picks a default for the dialect.
	MaxOpenConns int
	// SQLiteWriteWait bounds how long a SQLite write without a deadline of its own (background
	// work) waits for its turn before failing as a lock timeout, which the transaction runner
	// retries; 0 means DefaultSQLiteWriteWait. A request waits as long as its deadline allows.
	SQLiteWriteWait time.Duration
	// AcquireTimeout bounds the wait for a pooled PostgreSQL connection, dialing included;
	// 0 means DefaultAcquireTimeout. Past it a query fails as unavailable instead of waiting
	// for the request's deadline.
	AcquireTimeout time.Duration
	// Logger receives a line per applied migration file; nil discards them.
	Logger *slog.Logger
	// TracerProvider, if set, gives every SQL statement a span (see tracing.go); nil: none,
	// and no wrapper on the driver.
	TracerProvider trace.TracerProvider
}

// DB is an open database: the ent client and the *sql.DB under it.
type DB struct {
	Client *ent.Client
	SQL    *sql.DB
	// Raw is SQL through the pool without ent, waiting for a connection no longer than ent does.
	Raw Raw
	// Dialect is dialect.SQLite ("sqlite3") or dialect.Postgres ("postgres").
	Dialect string

	log *slog.Logger
}

// Open connects to the database of cfg. It does not migrate; call Migrate.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	var (
		db  *sql.DB
		dia string
		err error
	)
	switch {
	case cfg.URL == "":
		dia = dialect.SQLite
		db, err = openSQLite(cfg)
	case strings.HasPrefix(cfg.URL, "postgres://"), strings.HasPrefix(cfg.URL, "postgresql://"):
		dia = dialect.Postgres
		db, err = openPostgres(cfg)
	default:
		return nil, fmt.Errorf("store: unsupported database URL %q: want postgres:// or postgresql://, or none for SQLite", redact(cfg.URL))
	}
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", dia, err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var (
		drv dialect.Driver = entsql.OpenDB(dia, db)
		raw Raw            = db
	)
	if dia == dialect.SQLite {
		drv = newSerialDriver(drv.(*entsql.Driver), cmp.Or(cfg.SQLiteWriteWait, DefaultSQLiteWriteWait))
	} else {
		ad := newAcquireDriver(drv.(*entsql.Driver), db, cfg.AcquireTimeout)
		drv, raw = ad, ad
	}
	return &DB{
		Client:  ent.NewClient(ent.Driver(drv)),
		SQL:     db,
		Raw:     raw,
		Dialect: dia,
		log:     logger,
	}, nil
}

// SQLiteDSN is the modernc.org/sqlite data source name for the database file at path. The
// pragmas are in the DSN so that every pooled connection gets them: foreign keys enforced,
// WAL (readers do not block the writer), a 10 s busy timeout instead of failing at once when
// another connection writes, and NORMAL sync (durable at checkpoints, safe with WAL).
// Transactions begin IMMEDIATE: a transaction that reads, then writes cannot fail to upgrade
// its lock halfway through. Times are written in UTC in SQLite's own format, so that its date
// functions work on them and comparing them as text orders them in time.
func SQLiteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_time_format", "sqlite")
	q.Set("_timezone", "UTC")
	q.Set("_txlock", "immediate")
	return "file:" + filepath.ToSlash(path) + "?" + q.Encode()
}

func openSQLite(cfg Config) (*sql.DB, error) {
	path := cfg.SQLitePath
	if path == "" {
		path = DefaultSQLitePath
	}
	var (
		db  *sql.DB
		err error
	)
	if cfg.TracerProvider != nil {
		db, err = openTracedSQLite(SQLiteDSN(path), cfg.TracerProvider)
	} else {
		db, err = sql.Open("sqlite", SQLiteDSN(path))
	}
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	// One writer at a time is all SQLite allows; a few connections let reads run beside it.
	n := cfg.MaxOpenConns
	if n <= 0 {
		n = max(4, runtime.GOMAXPROCS(0))
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	return db, nil
}

func openPostgres(cfg Config) (*sql.DB, error) {
	if cfg.TracerProvider != nil {
		db, err := openTracedPostgres(withConnectTimeout(cfg.URL), cfg.TracerProvider)
		if err != nil {
			return nil, err
		}
		return poolPostgres(db, cfg), nil
	}
	db, err := sql.Open("pgx", withConnectTimeout(cfg.URL))
	if err != nil {
		return nil, fmt.Errorf("store: open postgres %s: %w", redact(cfg.URL), err)
	}
	return poolPostgres(db, cfg), nil
}

// poolPostgres sizes the PostgreSQL pool.
func poolPostgres(db *sql.DB, cfg Config) *sql.DB {
	n := cfg.MaxOpenConns
	if n <= 0 {
		n = max(8, 4*runtime.GOMAXPROCS(0))
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(30 * time.Minute)
	return db
}

// defaultConnectTimeout bounds dialing PostgreSQL (pgx's connect_timeout) unless the URL sets
// its own: an unreachable host must fail fast, not after the kernel's TCP timeout.
const defaultConnectTimeout = "5"

func withConnectTimeout(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	if q.Get("connect_timeout") != "" {
		return raw
	}
	q.Set("connect_timeout", defaultConnectTimeout)
	// Encode writes a space as '+', which pgx (like libpq) takes literally: an options value
	// such as "-c default_transaction_read_only=on" must stay %20. A '+' of the value itself
	// is written %2B, so every '+' here is a space.
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String()
}

// Ping checks that the database answers; for /readyz.
func (db *DB) Ping(ctx context.Context) error {
	return db.SQL.PingContext(ctx)
}

// Close closes the ent client and the connection pool.
func (db *DB) Close() error {
	// The ent client's driver wraps db.SQL: closing it closes the pool.
	return db.Client.Close()
}

// redact hides the password of a database URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable URL>"
	}
	return u.Redacted()
}
