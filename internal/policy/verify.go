package policy

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/util"
	"github.com/qualify/qualify/internal/irvm"
)

// unsafeBuiltins may not appear in a policy: a decision runs on the request path and during
// simulations over every stored lead, so it must not do network I/O or read the process.
var unsafeBuiltins = map[string]struct{}{
	ast.HTTPSend.Name:        {},
	ast.NetLookupIPAddr.Name: {},
	ast.OPARuntime.Name:      {},
}

// verifyConfig are the limits the pipeline runs under.
type verifyConfig struct {
	evalTimeout time.Duration // per decision
	testTimeout time.Duration // per _test.rego test
	log         *slog.Logger
	metrics     *planMetrics
	shadow      *shadow
	last        *lastVerified  // nil: no reuse
	shared      *VerifiedCache // nil: none
	busy        *busy          // verifications running, which background probes yield to
}

// lastVerified is the last revision that passed the whole pipeline. A publish verifies its
// draft, then the watcher loads the very same files: the second verification would repeat
// the first, tests included, so it reuses the result. Content is the only input besides the
// limits, which are the engine's and fixed.
type lastVerified struct {
	mu  sync.Mutex
	rev *Revision
}

// reuse returns a copy of the last verified revision if it has hash, stamped for this load.
func (l *lastVerified) reuse(hash, source string, loadedAt time.Time) (*Revision, *Report) {
	if l == nil {
		return nil, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rev == nil || l.rev.hash != hash {
		return nil, nil
	}
	r := *l.rev      // the immutable parts are shared: prepared queries, plans, files
	rep := *r.report // a load may add the Guard's refusal to its report
	rep.Problems, rep.Tests = slices.Clone(rep.Problems), slices.Clone(rep.Tests)
	r.source, r.loadedAt, r.report = source, loadedAt, &rep
	return &r, &rep
}

func (l *lastVerified) remember(rev *Revision) {
	if l != nil && rev != nil {
		l.mu.Lock()
		l.rev = rev
		l.mu.Unlock()
	}
}

// probeTimeout is the deadline of a probe decision: the first evaluation of a revision builds
// OPA's rule indexes, so it gets more room than a decision, yet a policy that needs this long
// for a plain lead is refused rather than left to time out on every request.
func (c verifyConfig) probeTimeout() time.Duration { return max(5*c.evalTimeout, time.Second) }

// step says how far verification goes.
type step int

const (
	stepTests        step = iota // read, compile, test
	stepAll                      // … then prepare, read stages, probe
	stepTestsCovered             // read, compile, test measuring coverage (Engine.Test)
)

// verify runs the pipeline on files and returns the revision, nil unless the report is OK.
// A panic anywhere in it (a bug of ours, of OPA or of a built-in) refuses the revision.
func verify(ctx context.Context, files Files, source string, loadedAt time.Time, cfg verifyConfig, upTo step) (rev *Revision, rep *Report) {
	if upTo == stepAll {
		if rev, rep := cfg.last.reuse(files.Hash(), source, loadedAt); rev != nil {
			return rev, rep
		}
		if rev, rep := cfg.shared.reuse(files.Hash(), source, loadedAt, cfg); rev != nil {
			cfg.last.remember(rev)
			return rev, rep
		}
	}
	defer cfg.busy.enter()()
	start := time.Now()
	rep = &Report{Hash: files.Hash(), Problems: []Problem{}, Tests: []TestResult{}}
	defer func() {
		if p := recover(); p != nil {
			rev = nil
			rep.add(Problem{Message: fmt.Sprintf("verification panicked: %v", p)})
			cfg.log.Error("policy verification panicked", "revision", rep.Revision, "panic", p, "stack", string(debug.Stack()))
		}
		sortProblems(rep.Problems)
		rep.Duration = time.Since(start)
	}()

	b, err := readBundle(files)
	if err != nil {
		rep.Revision = manifestRevision(files) // so that the refusal is recorded under its name
		rep.add(diagnose(files, err)...)
		return nil, rep
	}
	rep.Revision = b.Manifest.Revision
	if probs := checkDataSchemas(files); len(probs) > 0 {
		rep.add(probs...)
		return nil, rep
	}
	if v := b.RegoVersion(ast.RegoV1); v != ast.RegoV1 {
		rep.add(Problem{File: bundle.ManifestExt, Message: fmt.Sprintf("rego_version %v: Qualify policies are Rego v1", v)})
		return nil, rep
	}

	// Bundle data is read-only from here on: no round trip on write, and values kept as AST so
	// that a decision reading data.qualify.config does not convert it on every evaluation.
	store := inmem.NewFromObjectWithOpts(b.Data, inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true))
	modules := b.ParsedModules("")

	compiler, probs := compile(ctx, store, modules)
	if len(probs) > 0 {
		rep.add(probs...)
		return nil, rep
	}
	if upTo == stepTests || upTo == stepTestsCovered {
		// Only a test run asked for coverage measures it: the tracer slows every test down, so
		// verification before activation and `qualify policy test` go without.
		var cov *cover.Cover
		if upTo == stepTestsCovered {
			cov = cover.New()
		}
		rep.Tests, probs = runTests(ctx, store, modules, cfg.testTimeout, cov)
		if cov != nil && len(rep.Tests) > 0 {
			rep.Coverage = coverageOf(cov.Report(modules))
		}
		rep.add(probs...)
		return nil, rep
	}
	// The tests run beside the rest of the pipeline: both only read the store, the report is
	// the same (a failed test never skipped the later steps), and a save takes the longer of the
	// two instead of their sum where a core is free.
	tests := make(chan testRun, 1)
	go func() { tests <- runTestsSafely(ctx, store, modules, cfg.testTimeout) }()
	rev = prepare(ctx, files, source, loadedAt, cfg, b, compiler, store, rep)
	t := <-tests
	rep.Tests = t.results
	rep.add(t.problems...)
	if rev == nil || !rep.OK() {
		return nil, rep
	}
	cfg.last.remember(rev)
	cfg.shared.remember(rev, cfg)
	return rev, rep
}

// prepare is the decision side of verification: it prepares the queries and their plans on the
// compiled bundle, reads the stages and probes each decision. It returns nil when any of this
// failed; problems go into rep.
func prepare(ctx context.Context, files Files, source string, loadedAt time.Time, cfg verifyConfig,
	b *bundle.Bundle, compiler *ast.Compiler, store storage.Store, rep *Report) *Revision {
	var err error
	rev := &Revision{
		run:      &planRun{log: cfg.log, metrics: cfg.metrics, shadow: cfg.shadow, busy: cfg.busy},
		id:       b.Manifest.Revision,
		hash:     files.Hash(),
		source:   source,
		loadedAt: loadedAt,
		files:    files,
		report:   rep,
		timeout:  cfg.evalTimeout,
	}
	for q, name := range queryNames {
		rev.queries[q], err = rego.New(rego.Query(name), rego.Compiler(compiler), rego.Store(store)).PrepareForEval(ctx)
		if err != nil {
			rep.add(problemsOf(err)...)
			return nil
		}
		rev.rules[q] = ruleLocation(compiler, name)
	}
	rev.planNotes = rev.preparePlans(ctx, compiler, store)
	stages, probs := readStages(ctx, compiler, store, files)
	rep.add(probs...)
	rev.stages = stages
	industries, vocabProbs := readIndustries(ctx, compiler, store)
	rep.add(vocabProbs...)
	schedule, schedProbs := readSchedule(ctx, compiler, store)
	rep.add(schedProbs...)
	rev.schedule = schedule
	rev.industries = industries
	rev.stageSet = make(map[string]struct{}, len(stages))
	for _, s := range stages {
		rev.stageSet[s.Key] = struct{}{}
	}
	if len(probs) == 0 && len(vocabProbs) == 0 {
		rep.add(probe(ctx, rev, cfg.probeTimeout())...)
	}
	if !rep.OK() {
		return nil
	}
	data, err := dataDocument(ctx, store)
	if err != nil {
		rep.add(problemsOf(err)...)
		return nil
	}
	rev.run.data, rev.run.probed = data, make(chan struct{})
	return rev
}

// readBundle applies OPA's bundle rules (manifest, roots, where data may live) to files.
func readBundle(files Files) (*bundle.Bundle, error) {
	b, err := bundle.NewCustomReader(&filesLoader{f: files}).
		WithRegoVersion(ast.RegoV1).
		WithProcessAnnotations(true).
		WithSkipBundleVerification(true).
		Read()
	return &b, err
}

// diagnose explains why OPA's reader refused files. The reader stops at its first error, and
// loses the position of JSON errors; this pass looks at every file so that a report lists every
// broken file with a location, and falls back to the reader's own message.
func diagnose(files Files, readErr error) []Problem {
	var out []Problem
	popts := ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true}
	for p, content := range files.All() {
		switch {
		case strings.HasSuffix(p, bundle.RegoExt):
			if _, err := ast.ParseModuleWithOpts("/"+p, util.ByteSliceToString(content), popts); err != nil {
				out = append(out, problemsOf(err)...)
			}
		case p == bundle.ManifestExt || strings.HasSuffix(p, ".json"):
			var v any
			if err := json.Unmarshal(content, &v); err != nil {
				out = append(out, jsonProblem(p, content, err))
			}
		}
	}
	if len(out) == 0 {
		p := Problem{Message: readErr.Error()}
		for _, f := range files.Paths() { // "bundle load failed on /data.json: …" names its file
			if strings.Contains(p.Message, "/"+f+":") || strings.Contains(p.Message, "'/"+f+"'") {
				p.File = f
				break
			}
		}
		out = append(out, p)
	}
	return out
}

func manifestRevision(files Files) string {
	var m struct{ Revision string }
	if b, ok := files.Get(bundle.ManifestExt); ok {
		_ = json.Unmarshal(b, &m)
	}
	return m.Revision
}

func isTestFile(p string) bool { return strings.HasSuffix(p, "_test"+bundle.RegoExt) }

// compile builds the compiler decisions run on. Test modules stay out of it: the test runner
// compiles them on its own, and decisions have no use for them.
func compile(ctx context.Context, store storage.Store, modules map[string]*ast.Module) (*ast.Compiler, []Problem) {
	prod := make(map[string]*ast.Module, len(modules))
	for name, m := range modules {
		if !isTestFile(name) {
			prod[name] = m
		}
	}
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, problemsOf(err)
	}
	defer store.Abort(ctx, txn)
	c := ast.NewCompiler().
		WithDefaultRegoVersion(ast.RegoV1).
		WithEnablePrintStatements(false). // print() is for tests; erased from decisions
		WithUnsafeBuiltins(unsafeBuiltins).
		WithPathConflictsCheck(storage.NonEmpty(ctx, store, txn)) // a rule may not shadow data.json
	if c.Compile(prod); c.Failed() {
		return nil, problemsOf(c.Errors)
	}
	return c, nil
}

// testRun is what runTests found.
type testRun struct {
	results  []TestResult
	problems []Problem
}

// runTestsSafely is runTests on a goroutine of its own: a panic there is a problem of the
// revision, as it is in verify.
func runTestsSafely(ctx context.Context, store storage.Store, modules map[string]*ast.Module, timeout time.Duration) (t testRun) {
	defer func() {
		if p := recover(); p != nil {
			t = testRun{results: []TestResult{}, problems: []Problem{{Message: fmt.Sprintf("verification panicked: %v", p)}}}
		}
	}()
	t.results, t.problems = runTests(ctx, store, modules, timeout, nil)
	return t
}

// runTests runs every test_ rule of the bundle with OPA's tester against the bundle's data, as
// `opa test` does; a failed or errored test is a problem located at the test.
// With cov, it records which rows the tests evaluated (without OPA's supplementary passes that
// re-run each test to explain uncovered rows).
func runTests(ctx context.Context, store storage.Store, modules map[string]*ast.Module, timeout time.Duration, cov *cover.Cover) ([]TestResult, []Problem) {
	c := ast.NewCompiler().
		WithDefaultRegoVersion(ast.RegoV1).
		WithEnablePrintStatements(true).
		WithUnsafeBuiltins(unsafeBuiltins)
	runner := tester.NewRunner()
	if cov != nil {
		runner = runner.SetCoverageQueryTracer(cov).SetCoverageRuns([]cover.Kind{})
	}
	ch, err := runner.
		SetCompiler(c).
		SetStore(store).
		SetModules(modules).
		SetTimeout(timeout).
		CapturePrintOutput(true).
		SetDefaultRegoVersion(ast.RegoV1).
		RunTests(ctx, nil)
	if err != nil {
		return []TestResult{}, problemsOf(err)
	}
	results := []TestResult{}
	var probs []Problem
	for r := range ch {
		t := TestResult{
			Package:  r.Package,
			Name:     r.Name,
			Pass:     r.Pass(),
			Skip:     r.Skip,
			Duration: r.Duration,
			Output:   string(r.Output),
		}
		if r.Location != nil {
			t.File, t.Row = bundlePath(r.Location.File), r.Location.Row
		}
		if r.Error != nil {
			t.Error = errorText(r.Error)
		}
		results = append(results, t)
		if t.Pass || t.Skip {
			continue
		}
		msg := fmt.Sprintf("test %s.%s failed", t.Package, t.Name)
		if t.Error != "" {
			msg = fmt.Sprintf("test %s.%s errored: %s", t.Package, t.Name, t.Error)
		}
		p := Problem{File: t.File, Row: t.Row, Message: msg}
		if r.Location != nil {
			p.Col = r.Location.Col
		}
		probs = append(probs, p)
	}
	slices.SortFunc(results, func(a, b TestResult) int {
		return cmp.Or(strings.Compare(a.File, b.File), a.Row-b.Row, strings.Compare(a.Name, b.Name))
	})
	return results, probs
}

// errorText prints OPA errors with bundle paths ("qualify/lead.rego:6: …", not "/qualify/…").
func errorText(err error) string {
	if ps := problemsOf(err); len(ps) == 1 {
		return ps[0].String()
	}
	return err.Error()
}

// ruleLocation is where a decision is defined (its first non-default rule), nil if nowhere.
func ruleLocation(c *ast.Compiler, query string) *ast.Location {
	ref, err := ast.ParseRef(query)
	if err != nil {
		return nil
	}
	var loc *ast.Location
	for _, r := range c.GetRules(ref) {
		if loc == nil || !r.Default {
			loc = r.Loc()
			if !r.Default {
				break
			}
		}
	}
	return loc
}

var stageKinds = map[string]bool{"open": true, "won": true, "lost": true, "parked": true}

// readStages reads and checks data.qualify.stages: every stage has a unique key, a name, a
// unique position and a known kind, and the funnel has at least one open stage. Problems point
// into the data file that lists the stages.
func readStages(ctx context.Context, c *ast.Compiler, store storage.Store, files Files) ([]Stage, []Problem) {
	stagesPath := []any{"qualify", "stages"}
	rs, err := rego.New(rego.Query(QueryStages), rego.Compiler(c), rego.Store(store)).Eval(ctx)
	if err != nil {
		return nil, problemsOf(err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, []Problem{{Message: QueryStages + " is undefined: the bundle must list its stages"}}
	}
	av, err := ast.InterfaceToValue(rs[0].Expressions[0].Value)
	if err != nil {
		return nil, problemsOf(err)
	}
	v, err := irvm.FromAST(av)
	if err != nil {
		return nil, problemsOf(err)
	}
	stages, err := decodeStages(v)
	if err != nil {
		pe := under(QueryStages, err).(*pathError)
		return nil, []Problem{locateData(files, dataPath(stagesPath, strings.TrimPrefix(pe.path, QueryStages)), pe.Error())}
	}
	var probs []Problem
	bad := func(i int, field, format string, args ...any) {
		msg := fmt.Sprintf("%s[%d]: ", QueryStages, i) + fmt.Sprintf(format, args...)
		probs = append(probs, locateData(files, append(slices.Clone(stagesPath), i, field), msg))
	}
	keys, positions := map[string]bool{}, map[int]string{}
	open := 0
	for i, s := range stages {
		switch {
		case s.Key == "" || strings.TrimSpace(s.Key) != s.Key || strings.ContainsAny(s.Key, " /"):
			bad(i, "key", "key %q is not a usable stage key", s.Key)
		case keys[s.Key]:
			bad(i, "key", "key %q is used twice", s.Key)
		}
		keys[s.Key] = true
		if strings.TrimSpace(s.Name) == "" {
			bad(i, "name", "stage %q has no name", s.Key)
		}
		if !stageKinds[s.Kind] {
			bad(i, "kind", "stage %q has kind %q; kinds are open, won, lost, parked", s.Key, s.Kind)
		}
		if s.Position < 0 {
			bad(i, "position", "stage %q has a negative position", s.Key)
		} else if other, dup := positions[s.Position]; dup {
			bad(i, "position", "stages %q and %q share position %d", other, s.Key, s.Position)
		}
		positions[s.Position] = s.Key
		if s.Kind == "open" {
			open++
		}
	}
	if len(stages) == 0 {
		probs = append(probs, locateData(files, stagesPath, QueryStages+" is empty"))
	} else if open == 0 {
		probs = append(probs, locateData(files, stagesPath, QueryStages+": no stage of kind open; a lead could never enter the funnel"))
	}
	slices.SortStableFunc(stages, func(a, b Stage) int { return a.Position - b.Position })
	return stages, probs
}
