package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/seed"
)

func seedCmd() *cobra.Command {
	var (
		db       dbFlags
		policies string
		leads    int
		value    uint64
		profile  string
	)
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Fill an empty database with a realistic, deterministic demo data set",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			log := logger()
			if os.Getenv("GOGC") == "" {
				// A batch job alone in its process, whose profile spent a quarter of its CPU
				// collecting garbage: collecting a quarter as often leaves more to deciding.
				debug.SetGCPercent(400)
			}
			if profile != "" {
				stop, err := startCPUProfile(profile)
				if err != nil {
					return err
				}
				defer stop()
			}
			d, err := db.open(ctx, log)
			if err != nil {
				return err
			}
			defer d.Close()
			// The app activates the policy bundle, which syncs the funnel's stages.
			a, err := app.New(ctx, d, app.Config{PoliciesDir: policies, Logger: log, PolicyCache: verified})
			if err != nil {
				return err
			}
			return runSeed(ctx, a, leads, value, true, log)
		},
	}
	db.register(cmd)
	cmd.Flags().StringVar(&policies, "policies", envOr("QUALIFY_POLICIES", "./policies"), "policy bundle directory (its stage list is the funnel)")
	cmd.Flags().IntVar(&leads, "leads", 10000, "number of leads")
	cmd.Flags().Uint64Var(&value, "seed", 1, "random seed: the same seed gives the same data")
	cmd.Flags().StringVar(&profile, "cpu-profile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	return cmd
}

// startBackgroundFill starts, beside serving, seeding a demo data set when the database has no
// leads and seedIfEmpty > 0, or else rebuilding a stale funnel rollup; the funnel is marked as
// rebuilding until the work is done.
func startBackgroundFill(ctx context.Context, a *app.App, seedIfEmpty int, value uint64, log *slog.Logger) error {
	rollups := a.Funnel.Rollups()
	var work func(context.Context) error
	if seedIfEmpty > 0 {
		n, err := a.DB.Client.Lead.Query().Count(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			// The server is already answering: no COPY, whose PostgreSQL path drops the seeded
			// tables' foreign keys and unique indexes (idempotency keys among them) until it ends.
			work = func(ctx context.Context) error { return runSeed(ctx, a, seedIfEmpty, value, false, log) }
		}
	}
	if work == nil {
		stale, err := rollups.Stale(ctx)
		if err != nil || !stale {
			return err
		}
		work = func(ctx context.Context) error {
			st, err := rollups.Rebuild(ctx)
			if err == nil {
				log.Info("rebuilt the funnel rollup", "rows", st.Rows, "elapsed", st.Duration.Round(time.Millisecond))
			}
			return err
		}
	}
	done := rollups.Rebuilding()
	log.Info("filling the database in the background; the funnel reads the transitions until done")
	go func() {
		defer done()
		if err := work(ctx); err != nil && ctx.Err() == nil {
			log.Error("background fill failed; run `qualify funnel rebuild`", "err", err)
		}
	}()
	return nil
}

// runSeed seeds leads into a's database, scores them with the active policy and rebuilds the
// funnel rollup, logging each step with its elapsed time; bulk lets PostgreSQL write with COPY
// and deferred indexes, and score on several connections, which only a database nobody else is
// writing to may take.
func runSeed(ctx context.Context, a *app.App, leads int, value uint64, bulk bool, log *slog.Logger) error {
	var pool *sql.DB
	if bulk {
		pool = a.DB.SQL
	}
	steps := &stepLog{log: log, leads: leads}
	bar := newBar(leads, "seeding leads")
	st, err := seed.Run(ctx, a.DB.Client, seed.Options{
		Leads: leads, Seed: value, Now: time.Now().UTC().Truncate(24 * time.Hour),
		Progress: func(done, _ int) { _ = bar.Set(done) }, Pool: pool,
		Phase: func(name string) {
			if name != "accounts" && name != "leads" {
				_ = bar.Finish() // the leads are in
			}
			steps.begin(name)
		},
		// The seed writes facts and histories; the scores are the active policy's to compute.
		Loaded: func(ctx context.Context) error {
			steps.begin("scoring")
			bar := newBar(leads, "scoring leads")
			n, err := a.Lifecycle.Score(ctx, lifecycle.ScoreOptions{Progress: func(done, _ int) { _ = bar.Set(done) }, Pool: pool})
			_ = bar.Finish()
			if err != nil {
				return fmt.Errorf("score seeded leads: %w", err)
			}
			log.Info("scored seeded leads with the active policy", "leads", n, "policy", a.Engine.Active().ID())
			return nil
		},
	})
	_ = bar.Finish()
	steps.begin("")
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	log.Info("seeded demo data", "leads", st.Leads, "accounts", st.Accounts, "contacts", st.Contacts,
		"transitions", st.Transitions, "activities", st.Activities, "elapsed", st.Elapsed.Round(time.Millisecond))

	// The seed writes transitions in bulk, past the lifecycle's rollup hook.
	steps.begin("rollup")
	var rollup *progressbar.ProgressBar
	fs, err := a.Funnel.Rollups().RebuildProgress(ctx, func(done, total int, step string) {
		if rollup == nil {
			rollup = newBar(total, "rebuilding the funnel")
		}
		rollup.Describe("rebuilding the funnel: " + step)
		_ = rollup.Set(done)
	})
	if rollup != nil {
		_ = rollup.Finish()
	}
	steps.begin("")
	if err != nil {
		return err
	}
	log.Info("rebuilt the funnel rollup", "rows", fs.Rows, "elapsed", fs.Duration.Round(time.Millisecond))
	return nil
}

func newBar(total int, what string) *progressbar.ProgressBar {
	return progressbar.NewOptions(total, progressbar.OptionSetDescription(what), progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
}

// stepLog logs each step of a seed as it ends, with its elapsed time and the leads seeded per
// second of it, to compare steps and runs.
type stepLog struct {
	log   *slog.Logger
	leads int
	name  string
	began time.Time
}

// begin ends the current step, if any, and begins the one named ("": none).
func (s *stepLog) begin(name string) {
	if s.name != "" {
		elapsed := time.Since(s.began)
		s.log.Info("seed step done", "step", s.name, "elapsed", elapsed.Round(time.Millisecond),
			"leads_per_s", int(float64(s.leads)/elapsed.Seconds()))
	}
	s.name, s.began = name, time.Now()
}
