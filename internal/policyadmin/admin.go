// Package policyadmin lets revenue ops change the policy safely: validate, test and simulate a
// draft bundle against the stored leads, publish it into the watched directory, roll back to an
// earlier revision, diff revisions, and re-qualify leads in the background.
package policyadmin

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/schema/qualtype"
	"github.com/qualify/qualify/internal/jobs"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/policy"
)

// Config is what the Service needs.
type Config struct {
	Client *ent.Client
	// Jobs is the job engine re-qualification and async simulation run on; New registers
	// their workers. Without it those operations are refused.
	Jobs *jobs.Engine
	// RequalifyBatch is how many leads a requalify job commits at once with its checkpoint
	// (default 200). A run stopped inside a batch rolls it back; the next run does it again.
	RequalifyBatch int
	// SimulationBatch is how many leads an async simulation compares between checkpoints
	// (default 2000).
	SimulationBatch int
	Engine          *policy.Engine
	Lifecycle       *lifecycle.Service
	// Dir is the watched bundle directory publish writes into; empty in bundle-service mode,
	// where publishing is refused.
	Dir string
	// ActivationTimeout bounds how long a publish waits for the engine to take the new
	// revision; default 15s.
	ActivationTimeout time.Duration
	// RequireApproval turns on four-eyes publishing: a draft is published only after another
	// revops or admin approved its exact content (Approve).
	RequireApproval bool
	Logger          *slog.Logger
}

// Service is the policy administration.
type Service struct {
	cfg      Config
	log      *slog.Logger
	mu       sync.Mutex // serializes publishes of this process; the lock file those of others
	prepared revisionCache
}

// New returns a Service and registers its workers with cfg.Jobs (call it before the engine starts).
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ActivationTimeout == 0 {
		cfg.ActivationTimeout = 15 * time.Second
	}
	if cfg.RequalifyBatch <= 0 {
		cfg.RequalifyBatch = jobPage
	}
	if cfg.SimulationBatch <= 0 {
		cfg.SimulationBatch = simulationBatch
	}
	s := &Service{cfg: cfg, log: cfg.Logger}
	if cfg.Jobs != nil {
		jobs.Register(cfg.Jobs, &requalifyWorker{s: s})
		jobs.Register(cfg.Jobs, &simulationWorker{s: s})
	}
	return s
}

// PolicyFileInput is one file of a draft.
type PolicyFileInput struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

// PolicyDraftInput is a draft bundle: either the full set of Files, or a patch over the active
// revision (Changed files added or replaced, Deleted paths removed).
type PolicyDraftInput struct {
	Files   []PolicyFileInput `json:"files,omitempty"`
	Changed []PolicyFileInput `json:"changed,omitempty"`
	Deleted []string          `json:"deleted,omitempty"`
}

// Resolve turns a draft into bundle files.
func (s *Service) Resolve(d PolicyDraftInput) (policy.Files, error) {
	if len(d.Files) > 0 {
		if len(d.Changed) > 0 || len(d.Deleted) > 0 {
			return policy.Files{}, invalidDraft("give either files or changed/deleted, not both")
		}
		m := make(map[string][]byte, len(d.Files))
		for _, f := range d.Files {
			m[f.Path] = []byte(f.Content)
		}
		fs, err := policy.NewFiles(m)
		if err != nil {
			return policy.Files{}, invalidDraft(err.Error())
		}
		return fs, nil
	}
	active := s.cfg.Engine.Active()
	if active == nil {
		return policy.Files{}, invalidDraft("no active revision to patch")
	}
	edits := make(map[string][]byte, len(d.Changed)+len(d.Deleted))
	for _, p := range d.Deleted {
		edits[p] = nil
	}
	for _, f := range d.Changed {
		edits[f.Path] = []byte(f.Content)
	}
	fs, err := active.Files().With(edits)
	if err != nil {
		return policy.Files{}, invalidDraft(err.Error())
	}
	return fs, nil
}

// PolicyValidation is what validating a draft found; nothing is activated.
type PolicyValidation struct {
	OK       bool               `json:"ok"`
	Revision string             `json:"revision"`
	Hash     string             `json:"hash"`
	Problems []qualtype.Problem `json:"problems"`
	// Probe tells whether the draft answered the probe questions in the contract's shape; false
	// when verification stopped before the probe.
	Probe      bool    `json:"probe"`
	Tests      int     `json:"tests"`
	Failed     int     `json:"failed"`
	DurationMs float64 `json:"durationMs"`
}

// Validate compiles, tests and probes a draft as a load would, and activates nothing.
func (s *Service) Validate(ctx context.Context, d PolicyDraftInput) (*PolicyValidation, error) {
	fs, err := s.Resolve(d)
	if err != nil {
		return nil, err
	}
	rev, rep := s.cfg.Engine.Verify(ctx, fs)
	if err := ctx.Err(); err != nil {
		return nil, err // the problems are the deadline's, not the draft's
	}
	return &PolicyValidation{
		OK: rep.OK(), Revision: rep.Revision, Hash: rep.Hash, Problems: problems(rep),
		Probe: rev != nil, Tests: len(rep.Tests), Failed: rep.Failed(), DurationMs: ms(rep.Duration),
	}, nil
}

// PolicyTestRun is the outcome of a draft's _test.rego tests.
type PolicyTestRun struct {
	OK         bool                `json:"ok"`
	Problems   []qualtype.Problem  `json:"problems"`
	Passed     int                 `json:"passed"`
	Failed     int                 `json:"failed"`
	Tests      []*PolicyTestResult `json:"tests"`
	DurationMs float64             `json:"durationMs"`
	Coverage   *PolicyCoverage     `json:"coverage"`
}

// PolicyCoverage is which rows of the draft's policy modules its tests evaluated.
type PolicyCoverage struct {
	Percent float64               `json:"percent"`
	Files   []*PolicyFileCoverage `json:"files"`
}

// PolicyFileCoverage is one module's covered and not-covered rows.
type PolicyFileCoverage struct {
	Path       string  `json:"path"`
	Percent    float64 `json:"percent"`
	Covered    []int   `json:"covered"`
	NotCovered []int   `json:"notCovered"`
}

// PolicyTestResult is one test of a draft.
type PolicyTestResult struct {
	Package    string  `json:"package"`
	Name       string  `json:"name"`
	File       string  `json:"file"`
	Row        int     `json:"row"`
	Pass       bool    `json:"pass"`
	Skip       bool    `json:"skip"`
	DurationMs float64 `json:"durationMs"`
	Output     string  `json:"output"`
	Error      string  `json:"error"`
}

// Test compiles a draft and runs its tests.
func (s *Service) Test(ctx context.Context, d PolicyDraftInput) (*PolicyTestRun, error) {
	fs, err := s.Resolve(d)
	if err != nil {
		return nil, err
	}
	rep := s.cfg.Engine.Test(ctx, fs)
	if err := ctx.Err(); err != nil {
		return nil, err // the problems are the deadline's, not the draft's
	}
	out := &PolicyTestRun{OK: rep.OK(), Problems: problems(rep), Passed: rep.Passed(), Failed: rep.Failed(), DurationMs: ms(rep.Duration)}
	for _, t := range rep.Tests {
		out.Tests = append(out.Tests, &PolicyTestResult{
			Package: t.Package, Name: t.Name, File: t.File, Row: t.Row, Pass: t.Pass, Skip: t.Skip,
			DurationMs: ms(t.Duration), Output: t.Output, Error: t.Error,
		})
	}
	if c := rep.Coverage; c != nil {
		out.Coverage = &PolicyCoverage{Percent: c.Percent}
		for _, f := range c.Files {
			out.Coverage.Files = append(out.Coverage.Files, &PolicyFileCoverage{Path: f.Path, Percent: f.Percent, Covered: f.Covered, NotCovered: f.NotCovered})
		}
	}
	return out, nil
}

// verified resolves and verifies a draft, refusing it with a *DraftError unless it passes.
func (s *Service) verified(ctx context.Context, d PolicyDraftInput) (*policy.Revision, error) {
	fs, err := s.Resolve(d)
	if err != nil {
		return nil, err
	}
	rev, rep := s.cfg.Engine.Verify(ctx, fs)
	if err := ctx.Err(); err != nil {
		return nil, err // the problems are the deadline's, not the draft's
	}
	if rev == nil || !rep.OK() {
		return nil, &DraftError{Report: rep}
	}
	return rev, nil
}

func problems(rep *policy.Report) []qualtype.Problem {
	out := make([]qualtype.Problem, len(rep.Problems))
	for i, p := range rep.Problems {
		out[i] = qualtype.Problem{File: p.File, Row: p.Row, Col: p.Col, Message: p.Message}
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func activeOrFail(e *policy.Engine) (*policy.Revision, error) {
	rev := e.Active()
	if rev == nil {
		return nil, fmt.Errorf("policyadmin: %w", policy.ErrNoActivePolicy)
	}
	return rev, nil
}
