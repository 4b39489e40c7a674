// Command benchserve measures Qualify's serving cost side by side with a hand-written reference
// handler and PostGraphile (make bench-serve; the README's "Serving cost" says how to read it).
// `benchserve reference` is the reference handler alone.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/qualify/qualify/internal/benchserve"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "reference" {
		err = reference(ctx, os.Args[2:])
	} else {
		err = run(ctx, os.Args[1:])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchserve:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	home, _ := os.UserCacheDir()
	fs := flag.NewFlagSet("benchserve", flag.ExitOnError)
	cfg := benchserve.Config{Out: os.Stdout}
	var shapes, pgDir string
	var noPG bool
	fs.StringVar(&cfg.DatabaseURL, "database-url", os.Getenv("DATABASE_URL"), "seeded PostgreSQL database (qualify seed --leads 100000)")
	fs.StringVar(&cfg.QualifyBin, "qualify", "bin/qualify", "the qualify binary to serve")
	fs.StringVar(&cfg.Policies, "policies", "policies", "policy bundle directory")
	fs.StringVar(&shapes, "shapes", strings.Join(benchserve.Shapes, ","), "shapes to measure")
	fs.IntVar(&cfg.Rounds, "rounds", 3, "A-B-A rounds per shape")
	fs.DurationVar(&cfg.Duration, "duration", 5*time.Second, "length of one measurement")
	fs.DurationVar(&cfg.Warmup, "warmup", 2*time.Second, "unmeasured load per server before a shape's rounds")
	fs.IntVar(&cfg.Readers, "c", 32, "concurrent clients of the read shapes")
	fs.IntVar(&cfg.Writers, "write-c", 8, "concurrent clients of createActivity")
	fs.StringVar(&cfg.WorkDir, "work", filepath.Join(home, "qualify-bench", "run"), "servers' logs and profiles")
	fs.DurationVar(&cfg.Profile, "profile", 0, "take a CPU profile of Qualify per shape this long (after the rounds)")
	fs.StringVar(&pgDir, "postgraphile-dir", filepath.Join(home, "qualify-bench"), "where PostGraphile is installed from npm (outside the tree)")
	fs.BoolVar(&noPG, "no-postgraphile", false, "leave PostGraphile out")
	_ = fs.Parse(args)
	if cfg.DatabaseURL == "" {
		return fmt.Errorf("no --database-url (or DATABASE_URL)")
	}
	cfg.Shapes = strings.Split(shapes, ",")
	var err error
	if cfg.Self, err = os.Executable(); err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return err
	}
	if !noPG {
		if cfg.PostGraphile, err = benchserve.InstallPostGraphile(ctx, pgDir); err != nil {
			fmt.Fprintf(os.Stderr, "benchserve: PostGraphile left out: %v\n", err)
		}
	}
	return benchserve.Run(ctx, cfg)
}

func reference(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("reference", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	dbURL := fs.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL database")
	_ = fs.Parse(args)
	db, err := pgxpool.New(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	ref, err := benchserve.NewReference(ctx, db)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: *addr, Handler: ref.Handler(), ReadHeaderTimeout: 5 * time.Second}
	context.AfterFunc(ctx, func() { _ = srv.Close() })
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return nil
}
