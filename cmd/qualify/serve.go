package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/jobs"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/sweep"
	"github.com/qualify/qualify/internal/tracing"
)

func serveCmd() *cobra.Command {
	var (
		db          dbFlags
		cfg         app.Config
		origins     string
		seedIfEmpty int
		seedValue   uint64
		access      accessFlags
		pprofAddr   string
		analytics   string
		gcPercent   int
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the GraphQL API, GraphiQL, health and metrics",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			log, flushLog := serveLogger()
			defer flushLog()
			cfg.Logger = log
			if err := access.apply(&cfg, db.url, log); err != nil {
				return err
			}
			if origins != "" {
				cfg.Server.AllowedOrigins = strings.Split(origins, ",")
			}
			// Tracing is configured by the standard OTEL_* variables only; off unless they ask.
			tp, stopTracing, err := tracing.Setup(ctx, os.Getenv)
			if err != nil {
				return err
			}
			defer func() {
				flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := stopTracing(flushCtx); err != nil {
					log.Warn("tracing: spans not flushed", "err", err)
				}
			}()
			if tp != nil {
				cfg.TracerProvider = tp
				db.tracer = tp
				log.Info("tracing on", "exporter", "otlp")
			}
			setGCPercent(gcPercent, log)
			if pprofAddr != "" {
				servePprof(ctx, pprofAddr, log)
			}
			d, err := db.open(ctx, log)
			if err != nil {
				return err
			}
			defer d.Close()
			if analytics != "" {
				// A replica is read as it is: never migrated from here.
				an, err := store.Open(ctx, store.Config{URL: analytics, AcquireTimeout: db.acquire, Logger: log, TracerProvider: db.tracer})
				if err != nil {
					return fmt.Errorf("analytics database: %w", err)
				}
				defer an.Close()
				cfg.Analytics = an
			}
			a, err := app.New(ctx, d, cfg)
			if err != nil {
				return err
			}
			// Seeding and rebuilding run beside serving: a fresh or large database serves at once,
			// and the funnel answers from the transitions (source TRANSITIONS) until they are done.
			if err := startBackgroundFill(ctx, a, seedIfEmpty, seedValue, log); err != nil {
				return err
			}
			if access.dev {
				if err := printDevTokens(ctx, a, cfg, cmd.ErrOrStderr()); err != nil {
					return err
				}
			}
			url := "http://localhost" + cfg.Server.Addr
			if !strings.HasPrefix(cfg.Server.Addr, ":") {
				url = "http://" + cfg.Server.Addr
			}
			log.Info("qualify is serving", "graphiql", url+"/", "graphql", url+"/graphql", "dialect", d.Dialect,
				"policy", a.Engine.Active().ID())
			if !cfg.Server.Production {
				fmt.Fprintf(os.Stderr, "\n  GraphiQL: %s/\n\n", url)
			}
			return a.Run(ctx)
		},
	}
	f := cmd.Flags()
	db.register(cmd)
	f.StringVar(&analytics, "analytics-database-url", os.Getenv("QUALIFY_ANALYTICS_DATABASE_URL"),
		"PostgreSQL read replica answering the analytics queries (funnel, stage durations, trends, SLA report, their CSVs); empty: the primary (env QUALIFY_ANALYTICS_DATABASE_URL)")
	f.Int64Var(&cfg.FunnelSampleAbove, "funnel-sample-above", int64(envInt("QUALIFY_FUNNEL_SAMPLE_ABOVE", 0)),
		"rollup size (leads) above which funnel medians and p90s come from the one-in-eight sample; 0: 250000, -1: never (env QUALIFY_FUNNEL_SAMPLE_ABOVE)")
	f.StringVar(&cfg.Server.Addr, "addr", envOr("QUALIFY_ADDR", ":8080"), "listen address (env QUALIFY_ADDR)")
	f.StringVar(&cfg.PoliciesDir, "policies", envOr("QUALIFY_POLICIES", "./policies"), "watched policy bundle directory (env QUALIFY_POLICIES)")
	f.StringVar(&cfg.BundleURL, "policy-bundle-url", os.Getenv("QUALIFY_POLICY_BUNDLE_URL"), "OPA bundle service URL; replaces --policies (env QUALIFY_POLICY_BUNDLE_URL)")
	f.DurationVar(&cfg.PolicyPoll, "policy-poll", 2*time.Second, "policy directory hash poll / bundle service poll interval")
	f.IntVar(&cfg.PageDefault, "page-default", envInt("QUALIFY_PAGE_DEFAULT", 50), "page size when first/last are not given (env QUALIFY_PAGE_DEFAULT)")
	f.IntVar(&cfg.PageMax, "page-max", envInt("QUALIFY_PAGE_MAX", 200), "largest page size a client may ask for (env QUALIFY_PAGE_MAX)")
	f.BoolVar(&cfg.Server.Production, "production", os.Getenv("QUALIFY_PRODUCTION") == "true", "turn introspection and GraphiQL off (env QUALIFY_PRODUCTION=true)")
	f.IntVar(&cfg.Server.ComplexityLimit, "complexity-limit", 2000, "highest query complexity")
	f.IntVar(&cfg.Cost.Limit, "cost-limit", envInt("QUALIFY_COST_LIMIT", 20000), "highest operation cost: rows it may return, expensive fields weighted (env QUALIFY_COST_LIMIT)")
	f.IntVar(&cfg.Cost.Concurrent, "expensive-concurrency", 2, "expensive operations (simulation, funnel) one principal may run at once")
	f.IntVar(&cfg.Server.MaxDepth, "max-depth", 12, "deepest query nesting")
	f.DurationVar(&cfg.Server.RequestTimeout, "request-timeout", 15*time.Second, "deadline of one request")
	f.DurationVar(&cfg.PolicyEvalTimeout, "policy-eval-timeout", policy.DefaultEvalTimeout, "deadline of one policy decision (POLICY_TIMEOUT past it); verification probes a draft with five times it")
	f.DurationVar(&cfg.Server.ShutdownDrain, "shutdown-drain", envDuration("QUALIFY_SHUTDOWN_DRAIN", 5*time.Second),
		"after SIGTERM, how long to keep serving with /readyz failing before no longer accepting (env QUALIFY_SHUTDOWN_DRAIN)")
	f.DurationVar(&cfg.Server.ShutdownTimeout, "shutdown-timeout", 20*time.Second, "after the drain, how long in-flight requests may take to finish")
	f.Int64Var(&cfg.Server.MaxBodyBytes, "max-body-bytes", 1<<20, "largest request body")
	f.Int64Var(&cfg.Server.MaxUploadBytes, "max-upload-bytes", 32<<20, "largest file upload (importLeads)")
	f.DurationVar(&cfg.Webhooks.DisableAfter, "webhook-disable-after", envDuration("QUALIFY_WEBHOOK_DISABLE_AFTER", 24*time.Hour),
		"an endpoint failing this long without a success is disabled (env QUALIFY_WEBHOOK_DISABLE_AFTER)")
	f.IntVar(&cfg.Webhooks.MaxAttempts, "webhook-max-attempts", 15, "attempts of one delivery before it is FAILED (redeliverWebhook sends it again)")
	f.DurationVar(&cfg.Webhooks.HTTP.Timeout, "webhook-timeout", 10*time.Second, "deadline of one webhook request")
	f.Int64Var(&cfg.Webhooks.HTTP.MaxResponseBytes, "webhook-max-response-bytes", 64<<10, "webhook response bytes read")
	f.BoolVar(&cfg.Webhooks.HTTP.AllowPrivate, "webhook-allow-private", os.Getenv("QUALIFY_WEBHOOK_ALLOW_PRIVATE") == "true",
		"let webhook endpoints be loopback, private or link-local addresses (env QUALIFY_WEBHOOK_ALLOW_PRIVATE=true)")
	f.StringVar(&origins, "allowed-origins", os.Getenv("QUALIFY_ALLOWED_ORIGINS"), "comma-separated origins allowed to open websockets (env QUALIFY_ALLOWED_ORIGINS)")
	f.DurationVar(&cfg.DecisionRetention, "decision-retention", envDuration("QUALIFY_DECISION_RETENTION", 0),
		"keep logged decisions this long, purged hourly; 0 keeps them (env QUALIFY_DECISION_RETENTION, e.g. 2160h)")
	f.DurationVar(&cfg.DecisionBounds.MaxMeanLatency, "decision-max-mean-latency", envDuration("QUALIFY_DECISION_MAX_MEAN_LATENCY", 0),
		"bound on a revision's mean decision latency; 0: none (env QUALIFY_DECISION_MAX_MEAN_LATENCY)")
	f.Float64Var(&cfg.DecisionBounds.MaxErrorRate, "decision-max-error-rate", 0, "bound on a revision's decision error rate, timeouts included, e.g. 0.01; 0: none")
	f.IntVar(&cfg.DecisionBounds.MinDecisions, "decision-bound-min", 20, "decisions of a kind a revision makes before its bounds are checked")
	f.BoolVar(&cfg.RollbackOnBreach, "rollback-on-breach", os.Getenv("QUALIFY_ROLLBACK_ON_BREACH") == "true",
		"roll a revision that crosses its decision bounds back to the last good one (env QUALIFY_ROLLBACK_ON_BREACH=true)")
	f.Float64Var(&cfg.AuthzLogRate, "authz-log-sample", 0.01, "fraction of authorisation decisions written to the decision log (0..1)")
	f.IntVar(&cfg.Jobs.Workers, "job-workers", envInt("QUALIFY_JOB_WORKERS", jobs.DefaultWorkers), "background jobs this replica works at once (env QUALIFY_JOB_WORKERS)")
	f.DurationVar(&cfg.Jobs.PollInterval, "job-poll", envDuration("QUALIFY_JOB_POLL", jobs.DefaultPollInterval), "how often an idle replica looks for jobs (env QUALIFY_JOB_POLL)")
	f.DurationVar(&cfg.Jobs.RescueAfter, "job-rescue-after", envDuration("QUALIFY_JOB_RESCUE_AFTER", jobs.DefaultRescueAfter),
		"a job running this long is taken for one whose replica died and runs again (env QUALIFY_JOB_RESCUE_AFTER)")
	f.DurationVar(&cfg.Sweep.Interval, "sweep-interval", envDuration("QUALIFY_SWEEP_INTERVAL", sweep.DefaultInterval),
		"how often the leader replica reviews the leads the schedule policy says are due; negative: never (env QUALIFY_SWEEP_INTERVAL)")
	f.IntVar(&cfg.Sweep.BatchSize, "sweep-batch", envInt("QUALIFY_SWEEP_BATCH", sweep.DefaultBatchSize), "due leads one sweep batch reads (env QUALIFY_SWEEP_BATCH)")
	f.IntVar(&cfg.Sweep.MaxBatches, "sweep-max-batches", envInt("QUALIFY_SWEEP_MAX_BATCHES", sweep.DefaultMaxBatches),
		"batches one sweep run reviews at most; the rest waits for the next run (env QUALIFY_SWEEP_MAX_BATCHES)")
	f.IntVar(&seedIfEmpty, "seed-if-empty", 0, "seed this many demo leads when the database has none")
	f.Uint64Var(&seedValue, "seed", 1, "random seed of the demo data")
	f.IntVar(&gcPercent, "gc-percent", envInt("QUALIFY_GC_PERCENT", defaultGCPercent),
		"the garbage collector's target, as GOGC (which wins when set); 0: Go's default (env QUALIFY_GC_PERCENT)")
	f.StringVar(&pprofAddr, "pprof-addr", "", "serve Go's /debug/pprof on this address (e.g. 127.0.0.1:6060), apart from the API; empty: off")
	access.register(cmd)
	return cmd
}

func envInt(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return n
	}
	return def
}
