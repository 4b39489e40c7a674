// Command qualify is the Qualify server and its tools: serve, migrate, seed and policy.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/trace"

	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/server"
	"github.com/qualify/qualify/internal/store"
)

// verified is shared by the engines of the process. A command builds one or two, so this
// rarely saves anything in use; the tests run many commands in one process on the shipped
// bundle, and verify it once instead of at each command.
var verified = policy.NewVerifiedCache()

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := root().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "qualify:", err)
		os.Exit(1)
	}
}

// dbFlags are the database flags every command that opens the database shares.
type dbFlags struct {
	url     string
	sqlite  string
	acquire time.Duration
	// tracer, when serve turned tracing on, gives every SQL statement a span.
	tracer trace.TracerProvider
}

func (f *dbFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.url, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL); empty means the SQLite file")
	cmd.Flags().StringVar(&f.sqlite, "sqlite", envOr("QUALIFY_SQLITE", store.DefaultSQLitePath), "SQLite database file (env QUALIFY_SQLITE)")
	cmd.Flags().DurationVar(&f.acquire, "db-acquire-timeout", envDuration("QUALIFY_DB_ACQUIRE_TIMEOUT", store.DefaultAcquireTimeout),
		"longest wait for a pooled PostgreSQL connection, dialing included; past it a request is UNAVAILABLE (env QUALIFY_DB_ACQUIRE_TIMEOUT)")
}

// open opens and migrates the database.
func (f *dbFlags) open(ctx context.Context, log *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, store.Config{URL: f.url, SQLitePath: f.sqlite, AcquireTimeout: f.acquire, Logger: log, TracerProvider: f.tracer})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return db, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envDuration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(key)); err == nil {
		return d
	}
	return def
}

func logger() *slog.Logger { return slog.New(logHandler(os.Stderr)) }

// serveLogger is logger() for serve, over a server.LogWriter that writes the access log's lines
// together every 100 ms (warnings and errors at once); flush writes what is held, at exit.
func serveLogger() (log *slog.Logger, flush func()) {
	w := server.NewLogWriter(context.Background(), os.Stderr, 100*time.Millisecond)
	return slog.New(server.FlushAbove(logHandler(w), w, slog.LevelWarn)), func() { _ = w.Flush() }
}

func logHandler(w io.Writer) slog.Handler {
	level := slog.LevelInfo
	if os.Getenv("QUALIFY_DEBUG") != "" {
		level = slog.LevelDebug
	}
	if os.Getenv("QUALIFY_LOG_FORMAT") == "text" {
		return slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})
	}
	return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
}

func root() *cobra.Command {
	cmd := &cobra.Command{
		Use:           "qualify",
		Short:         "Qualify: B2B lead qualification behind a GraphQL API, with rules in Rego",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.AddCommand(serveCmd(), migrateCmd(), seedCmd(), policyCmd(), funnelCmd(), decisionsCmd(), jobsCmd(), importCmd(), exportCmd())
	return cmd
}

func migrateCmd() *cobra.Command {
	var db dbFlags
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending schema migrations",
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := logger()
			d, err := db.open(cmd.Context(), log)
			if err != nil {
				return err
			}
			defer d.Close()
			log.Info("database is up to date", "dialect", d.Dialect)
			return nil
		},
	}
	db.register(cmd)
	return cmd
}
