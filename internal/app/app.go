// Package app assembles Qualify: database, policy engine and its sources, domain services,
// GraphQL and the HTTP server. `qualify serve` and the end-to-end tests build the same App.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/policyrevision"
	"github.com/qualify/qualify/graph"
	"github.com/qualify/qualify/internal/auth"
	"github.com/qualify/qualify/internal/authz"
	"github.com/qualify/qualify/internal/cost"
	"github.com/qualify/qualify/internal/crm"
	"github.com/qualify/qualify/internal/decisionlog"
	"github.com/qualify/qualify/internal/export"
	"github.com/qualify/qualify/internal/funnel"
	"github.com/qualify/qualify/internal/heartbeat"
	"github.com/qualify/qualify/internal/inputlimit"
	"github.com/qualify/qualify/internal/jobs"
	"github.com/qualify/qualify/internal/leadimport"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/policyadmin"
	"github.com/qualify/qualify/internal/policystore"
	"github.com/qualify/qualify/internal/ratelimit"
	"github.com/qualify/qualify/internal/server"
	"github.com/qualify/qualify/internal/sla"
	"github.com/qualify/qualify/internal/stagecache"
	"github.com/qualify/qualify/internal/stagefeed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/sweep"
	"github.com/qualify/qualify/internal/totalcount"
	"github.com/qualify/qualify/internal/txn"
	"github.com/qualify/qualify/internal/webhook"
)

// Config is everything `qualify serve` can be told.
type Config struct {
	// PoliciesDir is the watched bundle directory (used when BundleURL is empty).
	PoliciesDir string
	// BundleURL is an OPA bundle service URL; when set it replaces the directory.
	BundleURL string
	// PolicyPoll is the fallback content-hash poll of the directory, or the bundle poll interval.
	PolicyPoll time.Duration
	// PolicyCache, when set, shares verified bundles with the process's other apps
	// (policy.Options.Verified): tests start many apps on the shipped bundle.
	PolicyCache *policy.VerifiedCache
	// PolicyEvalTimeout bounds one policy decision (POLICY_TIMEOUT past it); zero:
	// policy.DefaultEvalTimeout. Verification probes a draft with five times it.
	PolicyEvalTimeout time.Duration
	// RequirePublishApproval turns on four-eyes publishing (policyadmin.Config.RequireApproval).
	RequirePublishApproval bool
	// PageDefault and PageMax bound every connection's page size.
	PageDefault, PageMax int
	// Cost bounds each operation by the rows it can return (page sizes are filled in from
	// PageDefault and PageMax) and each principal's concurrent expensive operations.
	Cost   cost.Config
	Server server.Config
	// Auth says which credentials the API accepts (JWT secret, JWKS URL, issuer, audience); API
	// keys are always accepted.
	Auth auth.Config
	// RateLimit is each principal's request budget; zero means unlimited.
	RateLimit ratelimit.Config
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// ReplicaHeartbeat is how often this replica records the revision it serves
	// (policyStatus.replicas); zero is heartbeat.DefaultInterval.
	ReplicaHeartbeat time.Duration
	// DecisionRetention is how long logged decisions are kept (purged hourly); zero keeps them.
	DecisionRetention time.Duration
	// DecisionBounds are what each revision's decisions must stay within (latency, error
	// rate); a revision that crosses them is reported in the logs and policyStatus, and rolled
	// back to the last good one when RollbackOnBreach is set.
	DecisionBounds   decisionlog.Bounds
	RollbackOnBreach bool
	// AuthzLogRate is the fraction (0..1) of authorisation decisions logged; the others are
	// counted in the stats only.
	AuthzLogRate float64
	// Webhooks tunes webhook delivery: retries, backoff, when a failing endpoint is disabled,
	// outbound timeouts and size caps, and whether internal addresses may be reached.
	Webhooks webhook.Config
	// Jobs tunes the background job engine (worker concurrency, polling, rescue of the jobs of
	// a replica that died). Its logger is Logger.
	Jobs jobs.Config
	// RequalifyBatch is the leads a requalify job commits at once with its checkpoint (200).
	RequalifyBatch int
	// SimulationBatch is the leads a background simulation compares between checkpoints (2000).
	SimulationBatch int
	// Sweep bounds the periodic review of due leads (the schedule policy's timed rules).
	Sweep sweep.Config
	// Clock, if set, replaces time.Now for the lifecycle and the sweep (tests).
	Clock func() time.Time
	// Analytics, if set, is a read replica of the database (same dialect, same schema) that
	// answers the analytics queries: funnel, stageDurations, conversionTrend, slaReport and
	// their CSV exports. Writes and every other read stay on the primary.
	Analytics *store.DB
	// FunnelSampleAbove is the rollup size (leads) above which funnel medians and p90s come
	// from the sample (funnel.SamplePercentilesAbove): 0 keeps the default, negative never samples.
	FunnelSampleAbove int64
	// TracerProvider, if set, traces requests, operations and policy decisions (internal/tracing).
	TracerProvider trace.TracerProvider
	Logger         *slog.Logger
}

// App is a running Qualify instance over an open, migrated database.
type App struct {
	DB        *store.DB
	Engine    *policy.Engine
	Lifecycle *lifecycle.Service
	CRM       *crm.Service
	Server    *server.Server
	// Auth authenticates API callers and holds the API keys.
	Auth *auth.Authenticator
	// Admin validates, simulates and publishes policy drafts and runs re-qualification jobs.
	Admin *policyadmin.Service
	// Feed delivers committed stage changes to subscriptions; Background runs its listener.
	Feed *stagefeed.Broker
	// Funnel answers the funnel analytics and keeps its rollup in step with the transitions.
	Funnel *funnel.Service
	// Stats counts the decisions per revision against cfg.DecisionBounds.
	Stats *decisionlog.Stats
	// Jobs is the background job engine (River on this database); Background works its jobs.
	Jobs *jobs.Engine
	// Sweeper reviews the leads the schedule policy says are due (a periodic job of the leader).
	Sweeper  *sweep.Sweeper
	jobsStop time.Duration // how long a stop waits for running jobs to reach a safe point
	// Webhooks delivers the webhook outbox; Endpoints manages the endpoints.
	Webhooks  *webhook.Dispatcher
	Endpoints *webhook.Endpoints
	// Import imports leads from CSV files.
	Import *leadimport.Service
	// Heartbeat records the revision this replica serves; Background runs it.
	Heartbeat *heartbeat.Beat
	source    interface{ Run(context.Context) error }
	retention time.Duration // of the decision log
	// stagesChanged wakes the funnel's rebuild after an activation, which may change the stages.
	stagesChanged chan struct{}
	log           *slog.Logger
}

// New builds an App on db (already migrated) and activates the first policy revision: the
// configured source's, or if that is refused, the newest revision that was active before, so a
// broken edit made while the server was down does not keep it down.
func New(ctx context.Context, db *store.DB, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PageDefault == 0 {
		cfg.PageDefault = 50
	}
	if cfg.PageMax == 0 {
		cfg.PageMax = 200
	}
	ps := policystore.New(db.Client)
	// One registry for /metrics: the server's metrics, the policy engine's, Go's and the process's.
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	engine := policy.New(policy.Options{Guard: ps, Recorder: ps, Logger: cfg.Logger, Registerer: registry, Verified: cfg.PolicyCache, EvalTimeout: cfg.PolicyEvalTimeout})
	ps.Attach(engine)

	a := &App{DB: db, Engine: engine, log: cfg.Logger, retention: cfg.DecisionRetention}
	if cfg.BundleURL != "" {
		src := policy.NewBundleSource(engine, cfg.BundleURL, policy.BundleOptions{Interval: cfg.PolicyPoll, Logger: cfg.Logger})
		a.source = src
		if err := src.Sync(ctx); err != nil {
			cfg.Logger.Warn("policy bundle service not usable at start", "url", cfg.BundleURL, "err", err)
		}
	} else {
		src := policy.NewDirSource(engine, cfg.PoliciesDir, policy.DirOptions{PollInterval: cfg.PolicyPoll, Logger: cfg.Logger})
		a.source = src
		if err := src.Sync(ctx); err != nil {
			cfg.Logger.Error("policy directory refused at start", "dir", cfg.PoliciesDir, "err", err)
		}
	}
	if engine.Active() == nil {
		if err := a.restoreLastGood(ctx); err != nil {
			return nil, err
		}
	}

	a.Feed = stagefeed.New(db.Raw, db.Dialect, cfg.Logger)
	a.Funnel = funnel.New(db.Client, db.Dialect)
	slaOpts := []sla.Option{}
	if cfg.FunnelSampleAbove != 0 {
		a.Funnel.SamplePercentilesAbove(cfg.FunnelSampleAbove)
	}
	if an := cfg.Analytics; an != nil {
		if an.Dialect != db.Dialect {
			return nil, fmt.Errorf("the analytics database is %s, the primary %s: a replica must be the same", an.Dialect, db.Dialect)
		}
		authz.Install(an.Client) // the replica sees through the same row filters
		a.Funnel.ReadFrom(an.Client)
		slaOpts = append(slaOpts, sla.WithReader(an.Client))
	}
	db.Client.Lead.Use(a.Funnel.Rollups().LeadHook())
	db.Client.User.Use(a.Funnel.Rollups().UserHook())
	db.Client.Account.Use(a.Funnel.Rollups().AccountHook())
	// The rollup follows the stage list: record the one it follows now (before an activation
	// can change it), then rebuild in the background after activations that change it.
	if err := a.Funnel.Rollups().Adopt(ctx); err != nil {
		return nil, err
	}
	a.stagesChanged = make(chan struct{}, 1)
	// A stage change made while no replica ran is rebuilt for at once, in the background; the
	// check runs here so that a running server spends no statement on it unless a stage changed.
	if ok, err := a.Funnel.Rollups().StagesCurrent(ctx); err != nil {
		return nil, err
	} else if !ok {
		a.stagesChanged <- struct{}{}
	}
	// Registered after the policy store's hook, which syncs the stage table first.
	stages := stagecache.New(db.Client)
	engine.OnActivate(func(context.Context, *policy.Revision, *policy.Revision) error {
		stages.Invalidate()
		return nil
	})
	engine.OnActivate(func(context.Context, *policy.Revision, *policy.Revision) error {
		select {
		case a.stagesChanged <- struct{}{}:
		default: // a rebuild check is pending already
		}
		return nil
	})
	jcfg := cfg.Jobs
	jcfg.Logger = cfg.Logger
	jobEngine, err := jobs.New(db, jcfg)
	if err != nil {
		return nil, err
	}
	a.Jobs = jobEngine
	a.jobsStop = cfg.Server.ShutdownDrain + cfg.Server.ShutdownTimeout
	if a.jobsStop <= 0 {
		a.jobsStop = 20 * time.Second
	}
	a.Heartbeat = heartbeat.New(db.Client, cfg.ReplicaHeartbeat, func() (string, string) {
		if rev := engine.Active(); rev != nil {
			return rev.ID(), rev.Hash()
		}
		return "", ""
	}, cfg.Logger)
	a.Stats = decisionlog.NewStats(cfg.DecisionBounds, func(b decisionlog.Breach) { a.breached(b, cfg.RollbackOnBreach) })
	clock := cfg.Clock
	if clock == nil {
		clock = time.Now
	}
	// Webhook deliveries are jobs, enqueued in the transaction of the change that caused them.
	a.Webhooks = webhook.NewDispatcher(db.Client, cfg.Webhooks, cfg.Logger)
	jobs.Register(a.Jobs, webhook.NewWorker(a.Webhooks))
	hookQueue := webhook.RiverQueue(a.Jobs, a.Webhooks.Config().MaxAttempts)
	a.Endpoints = webhook.NewEndpoints(db.Client, cfg.Webhooks.HTTP.AllowPrivate, hookQueue)
	a.Lifecycle = lifecycle.New(db.Client, engine, lifecycle.WithLogger(cfg.Logger), lifecycle.WithPublisher(a.Feed),
		lifecycle.WithTransitionHook(a.Funnel.Rollups().Record), lifecycle.WithStats(a.Stats), lifecycle.WithClock(clock),
		lifecycle.WithTransitionHook(webhook.NewOutbox(hookQueue).Record))
	slas := sla.New(db.Client, engine, append(slaOpts, sla.WithClock(clock))...)
	sweepMetrics := sweep.NewMetrics()
	a.Sweeper = sweep.New(a.Lifecycle, cfg.Sweep, sweepMetrics, cfg.Logger)
	sweep.Schedule(a.Jobs, a.Sweeper)
	a.Import = leadimport.New(db.Client, a.Lifecycle)
	a.Import.UseJobs(a.Jobs) // imports run as jobs: resumable, on any replica
	a.CRM = crm.New(db.Client, a.Lifecycle, crm.WithVocabulary(engine))
	// Rows stored before input was normalized are brought to the form the policy keys on.
	if engine.Active() != nil {
		b, err := a.CRM.NormalizeStored(ctx)
		if err != nil {
			return nil, fmt.Errorf("normalize stored accounts and leads: %w", err)
		}
		if b.Accounts+b.Leads > 0 || len(b.Unmapped) > 0 {
			cfg.Logger.Warn("normalized stored input; re-qualify (qualify policy requalify) to rescore the leads of changed accounts",
				"accounts", b.Accounts, "leads", b.Leads, "unmapped", b.Unmapped)
		}
	}
	// Access control: rows filtered by the authz scope of each GraphQL field (none outside the API).
	authz.Install(db.Client)
	totalcount.Install(db.Client, db.Dialect)
	authn, err := auth.New(ctx, db.Client, cfg.Auth, cfg.Logger)
	if err != nil {
		return nil, err
	}
	a.Auth = authn
	adminDir := cfg.PoliciesDir
	if cfg.BundleURL != "" {
		adminDir = "" // publishing is refused in bundle-service mode
	}
	a.Admin = policyadmin.New(policyadmin.Config{Client: db.Client, Jobs: a.Jobs, RequalifyBatch: cfg.RequalifyBatch, SimulationBatch: cfg.SimulationBatch, Engine: engine, Lifecycle: a.Lifecycle, Dir: adminDir, RequireApproval: cfg.RequirePublishApproval, Logger: cfg.Logger})
	schema := graph.NewExecutableSchema(graph.Config{
		Resolvers: graph.NewResolver(graph.Services{Client: db.Client, CRM: a.CRM, Lifecycle: a.Lifecycle, Policy: engine, Keys: authn.Keys(), Feed: a.Feed, Admin: a.Admin, Funnel: a.Funnel, Recheck: authn.Recheck, Stats: a.Stats, Webhooks: a.Endpoints, Import: a.Import, JobEngine: a.Jobs, Stages: stages, SLA: slas, Heartbeat: a.Heartbeat}),
	})
	registry.MustRegister(a.Stats)
	authzExt := authz.Extension{Policy: engine, Client: db.Client, Log: decisionlog.NewSampler(db.Client, cfg.AuthzLogRate), Stats: a.Stats}
	authorize := func(ctx context.Context, kind, op string) (context.Context, error) {
		ctx, _, err := authzExt.Authorize(ctx, kind, op)
		return ctx, err
	}
	a.Server = server.New(cfg.Server, server.Deps{
		Schema: schema,
		Ready:  a.ready,
		Logger: cfg.Logger,
		Extensions: []graphql.HandlerExtension{
			authzExt,
			graph.PageLimit{Default: cfg.PageDefault, Max: cfg.PageMax},
			cost.New(withPages(cfg.Cost, cfg.PageDefault, cfg.PageMax)),
			inputlimit.New(inputlimit.Limits{}),
		},
		Middleware:        []func(http.Handler) http.Handler{authn.Middleware, ratelimit.New(cfg.RateLimit).Middleware},
		WebsocketInit:     authn.WebsocketInit,
		Routes:            routes(a, db, authorize),
		MetricsMiddleware: auth.MetricsGuard(cfg.MetricsToken),
		Registry:          registry,
		TracerProvider:    cfg.TracerProvider,
		Collectors: append(append(append(a.Feed.Collectors(), a.Jobs.Collectors()...), sweepMetrics.Collectors()...), txn.Collector(),
			collectors.NewDBStatsCollector(db.SQL, "qualify")),
	})
	return a, nil
}

// routes are the HTTP endpoints beside /graphql: the exports, each judged by the access policy.
func routes(a *App, db *store.DB, authorize func(context.Context, string, string) (context.Context, error)) map[string]http.Handler {
	r := export.Routes(db.Client, authorize)
	r["GET /export/funnel.csv"] = funnel.ExportHandler(func() http.Handler { return a.Server.Handler() })
	r["GET /export/sla.csv"] = sla.ExportHandler(func() http.Handler { return a.Server.Handler() })
	r["GET /export/decisions.ndjson"] = decisionlog.ExportHandler(db.Client, authorize)
	return r
}

func withPages(c cost.Config, pageDefault, pageMax int) cost.Config {
	c.PageDefault, c.PageMax = pageDefault, pageMax
	return c
}

// ready is the readiness check: the database answers, at the schema this binary expects, and
// a policy revision is active. Its errors name the problem only (/readyz shows them to anyone);
// the details are logged.
func (a *App) ready(ctx context.Context) error {
	if err := a.DB.CheckSchema(ctx); err != nil {
		if errors.Is(err, store.ErrSchemaBehind) {
			a.log.WarnContext(ctx, "not ready: schema", "err", err)
			return errors.New("the database schema is not at the expected migration")
		}
		a.log.WarnContext(ctx, "not ready: database", "err", err)
		return errors.New("the database is unreachable")
	}
	if a.Engine.Active() == nil {
		return errors.New("no active policy revision")
	}
	return nil
}

// restoreLastGood activates the newest stored revision that was once active.
func (a *App) restoreLastGood(ctx context.Context) error {
	recs, err := a.DB.Client.PolicyRevision.Query().
		Where(policyrevision.StatusIn(policyrevision.StatusACTIVE, policyrevision.StatusSUPERSEDED),
			policyrevision.ActivatedAtNotNil()).
		Order(ent.Desc(policyrevision.FieldActivatedAt)).Limit(5).All(ctx)
	if err != nil {
		return err
	}
	for _, r := range recs {
		files := make(map[string][]byte, len(r.Files))
		for p, c := range r.Files {
			files[p] = []byte(c)
		}
		fs, err := policy.NewFiles(files)
		if err != nil {
			continue
		}
		if _, err := a.Engine.Load(ctx, fs, "database:"+r.Hash); err == nil {
			a.log.Warn("serving the last good policy revision from the database", "revision", r.Revision, "hash", r.Hash)
			return nil
		}
	}
	return errors.New("no usable policy: the configured source was refused and no earlier revision is stored")
}

// Handler is the HTTP handler (for tests).
func (a *App) Handler() http.Handler { return a.Server.Handler() }

// FollowPolicies follows the policy source (directory watch or bundle service) until ctx ends,
// activating each good new revision.
func (a *App) FollowPolicies(ctx context.Context) error { return a.source.Run(ctx) }

// Background runs what serves alongside HTTP apart from the policy source (the stage-change
// listener, the job engine) until ctx ends. When ctx ends the running jobs are asked to stop at
// their next safe point (they resume on another replica), and Background returns once they did.
func (a *App) Background(ctx context.Context) error {
	if err := a.Jobs.Start(ctx); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	jobsStopped := make(chan struct{})
	go func() {
		defer close(jobsStopped)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), a.jobsStop)
		defer cancel()
		if err := a.Jobs.Stop(sctx); err != nil {
			a.log.Error("jobs: stop", "err", err)
		}
	}()
	go decisionlog.Retain(ctx, a.DB.Client, a.retention, time.Hour, a.log)
	go a.Heartbeat.Run(ctx)
	go func() { _ = a.FollowStages(ctx) }()
	err := a.Feed.Run(ctx)
	if ctx.Err() != nil {
		<-jobsStopped
	}
	return err
}

// FollowStages rebuilds the funnel rollup in the background whenever an activation changed the
// stage list it was built for, until ctx ends; the funnel reads the transitions meanwhile.
func (a *App) FollowStages(ctx context.Context) error {
	return a.Funnel.Rollups().FollowStages(ctx, a.stagesChanged, a.log)
}

// Run serves HTTP, follows the policy source and runs the background work until ctx ends.
func (a *App) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bgDone := make(chan struct{})
	go func() {
		defer close(bgDone)
		if err := a.Background(ctx); err != nil {
			a.log.Error("background work stopped", "err", err)
		}
	}()
	srcDone := make(chan error, 1)
	go func() { srcDone <- a.FollowPolicies(ctx) }()
	// On SIGTERM (ctx ends) the server drains while the jobs stop at their safe points; the
	// process ends when both are done.
	err := a.Server.Run(ctx)
	cancel()
	<-bgDone
	if serr := <-srcDone; serr != nil && !errors.Is(serr, context.Canceled) && err == nil {
		err = fmt.Errorf("policy source: %w", serr)
	}
	return err
}
