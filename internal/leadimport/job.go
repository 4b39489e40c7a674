package leadimport

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/auditevent"
	"github.com/qualify/qualify/ent/importrun"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/internal/audit"
	"github.com/qualify/qualify/internal/jobs"
	"github.com/qualify/qualify/internal/principal"
	"github.com/qualify/qualify/internal/txn"
)

// jobMaxAttempts is how often a failing run is tried again before it is failed.
const jobMaxAttempts = 10

// ImportArgs is the engine job of a queued ImportRun.
type ImportArgs struct {
	ImportRunID int `json:"importRunId"`
}

// Kind implements river.JobArgs.
func (ImportArgs) Kind() string { return "import" }

// ErrTakenOver stops a run whose checkpoint moved under it: another run of the same import (a
// rescued job, or `qualify import --wait` beside a server) committed that batch first.
var ErrTakenOver = errors.New("import: another run advanced the checkpoint; this run stops")

// queue stores the file and the options of a run and enqueues its job in one transaction:
// neither exists without the other.
func (s *Service) queue(ctx context.Context, raw []byte, f *File, o Options, mapping map[string]string, unknown []string) (*ent.ImportRun, error) {
	var run *ent.ImportRun
	p, _ := principal.From(ctx)
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		create := tx.ImportRun.Create().SetFileName(o.FileName).SetStatus(importrun.StatusQUEUED).
			SetEncoding(f.Encoding).SetDelimiter(string(f.Delimiter)).SetTotal(len(f.Records)).
			SetUnknownColumns(unknown).SetErrorCsv(newReport(f.Header).String()).
			SetFile(raw).SetColumns(mapping).SetDefaultSource(string(o.DefaultSource)).
			SetStartedByRole(p.Role).SetStartedByTeam(p.Team).SetStartedByVia(p.Via).SetStartedBySubject(p.Subject)
		if p.UserID != 0 {
			create.SetStartedByID(p.UserID)
		}
		var err error
		if run, err = create.Save(ctx); err != nil {
			return err
		}
		if _, err := audit.Record(ctx, tx, audit.Event{Action: auditevent.ActionIMPORT_START, Target: fmt.Sprint(run.ID),
			Details: map[string]any{"fileName": o.FileName, "rows": len(f.Records)}}); err != nil {
			return err
		}
		if s.jobs == nil {
			return nil
		}
		res, err := s.jobs.Insert(ctx, ImportArgs{ImportRunID: run.ID}, &river.InsertOpts{MaxAttempts: jobMaxAttempts})
		if err != nil {
			return err
		}
		run, err = run.Update().SetRiverJobID(res.Job.ID).Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return run.Unwrap(), nil
}

// Work runs a queued import, or resumes it from its checkpoint, batch by batch: each batch
// commits its leads with the run's new checkpoint and counts, so a run stopped anywhere (the
// replica stopping, a crash) resumes after the last committed batch, here or on another
// replica, and no row is imported twice. It stops at batch boundaries when jobs.Interrupted
// says so. progress, if set, is called after each batch.
func (s *Service) Work(ctx context.Context, id int, progress func(processed, total int)) (*ent.ImportRun, error) {
	run, err := s.client.ImportRun.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	ctx = actAs(ctx, run)
	if run.Status == importrun.StatusSUCCEEDED || run.Status == importrun.StatusFAILED {
		return run, nil
	}
	if run.File == nil || len(*run.File) == 0 { // ent reads a NULL bytes column as a pointer to nil
		return s.fail(ctx, id, errors.New("the run has no stored file"))
	}
	f, err := Parse(*run.File)
	if err != nil {
		return s.fail(ctx, id, fmt.Errorf("stored file: %w", err))
	}
	fields, _ := columns(f.Header, run.Columns)
	o := Options{DefaultSource: lead.Source(run.DefaultSource)}
	if run.Status == importrun.StatusQUEUED {
		if err := s.client.ImportRun.UpdateOneID(id).SetStatus(importrun.StatusRUNNING).Exec(ctx); err != nil {
			return nil, err
		}
	}
	for lo := run.Checkpoint; lo < len(f.Records); lo = min(lo+batchSize, len(f.Records)) {
		if err := jobs.Interrupted(ctx); err != nil {
			return nil, err
		}
		err := s.commit(ctx, id, f, fields, o, lo, min(lo+batchSize, len(f.Records)))
		if errors.Is(err, ErrTakenOver) {
			return nil, err
		}
		if err != nil {
			return nil, err
		}
		if progress != nil {
			progress(min(lo+batchSize, len(f.Records)), len(f.Records))
		}
	}
	// The file goes with the finished run: the leads hold what it said.
	n, err := s.client.ImportRun.Update().Where(importrun.ID(id), importrun.StatusEQ(importrun.StatusRUNNING)).
		SetStatus(importrun.StatusSUCCEEDED).SetFinishedAt(time.Now().UTC()).ClearFile().Save(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, ErrTakenOver // another run finished it
	}
	return s.Run(ctx, id)
}

// commit imports rows [lo, hi) in one transaction (txn.Batch: a savepoint per row) that also
// moves the run's checkpoint from lo to hi, compared and set first: of two runs of one import
// only the one holding the checkpoint commits the batch.
func (s *Service) commit(ctx context.Context, id int, f *File, fields []string, o Options, lo, hi int) error {
	return txn.Batch(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		n, err := tx.ImportRun.Update().Where(importrun.ID(id), importrun.Checkpoint(lo)).
			SetCheckpoint(hi).SetProcessed(hi).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrTakenOver
		}
		rows, m, err := s.parse(ctx, f, fields, o, lo, hi)
		if err != nil {
			return err
		}
		var created, matched, refused int
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		for i := lo; i < hi; i++ {
			res, err := s.one(ctx, rows[i-lo], m)
			switch {
			case err != nil:
				return err // the batch rolls back; the run resumes at lo
			case res.err != nil:
				refused++
				_ = w.Write(append([]string{fmt.Sprint(f.Lines[i]), res.err.Column, res.err.Code, res.err.Reason}, f.Records[i]...))
			case res.created:
				created++
			default:
				matched++
			}
		}
		w.Flush()
		upd := tx.ImportRun.UpdateOneID(id).AddCreated(created).AddMatched(matched).AddRefused(refused)
		if buf.Len() > 0 {
			run, err := tx.ImportRun.Query().Where(importrun.ID(id)).Select(importrun.FieldErrorCsv).Only(ctx)
			if err != nil {
				return err
			}
			upd.SetErrorCsv(run.ErrorCsv + buf.String())
		}
		return upd.Exec(ctx)
	})
}

// actAs is ctx acting as the principal who started run (on any replica, after any restart), so
// that what the run writes carries them as it would in their own request; a run recorded
// without one acts as the system.
func actAs(ctx context.Context, run *ent.ImportRun) context.Context {
	if run.StartedByRole == "" {
		return principal.With(ctx, principal.System)
	}
	p := principal.Principal{Role: run.StartedByRole, Team: run.StartedByTeam, Via: run.StartedByVia, Subject: run.StartedBySubject}
	if run.StartedByID != nil {
		p.UserID = *run.StartedByID
	}
	return principal.With(ctx, p)
}

// fail marks the run FAILED and returns err.
func (s *Service) fail(ctx context.Context, id int, err error) (*ent.ImportRun, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if uerr := s.client.ImportRun.UpdateOneID(id).SetStatus(importrun.StatusFAILED).
		SetFinishedAt(time.Now().UTC()).ClearFile().Exec(ctx); uerr != nil {
		return nil, errors.Join(err, uerr)
	}
	return nil, err
}

// runColumns are an import run's columns but its file: a read of progress never carries the
// uploaded file (megabytes at 100k rows) along, however often a client polls.
var runColumns = slices.DeleteFunc(slices.Clone(importrun.Columns), func(c string) bool { return c == importrun.FieldFile })

// Run reads an import run without its file.
func (s *Service) Run(ctx context.Context, id int) (*ent.ImportRun, error) {
	return s.client.ImportRun.Query().Where(importrun.ID(id)).Select(runColumns...).Only(ctx)
}

// WaitRun polls a run until it has finished (for the CLI and tests).
func (s *Service) WaitRun(ctx context.Context, id int, progress func(*ent.ImportRun)) (*ent.ImportRun, error) {
	for {
		run, err := s.Run(ctx, id)
		if err != nil {
			return nil, err
		}
		if progress != nil {
			progress(run)
		}
		if run.Status == importrun.StatusSUCCEEDED || run.Status == importrun.StatusFAILED {
			return run, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// worker runs queued imports on the job engine.
type worker struct {
	river.WorkerDefaults[ImportArgs]
	s *Service
}

// Work implements river.Worker.
func (w *worker) Work(ctx context.Context, j *river.Job[ImportArgs]) error {
	_, err := w.s.Work(ctx, j.Args.ImportRunID, nil)
	switch {
	case err == nil, errors.Is(err, ErrTakenOver):
		return nil // done, or the other run finishes it
	case ent.IsNotFound(err):
		return river.JobCancel(err)
	case jobs.Stopping(ctx) != nil:
		return jobs.Stopping(ctx) // stopped between or inside a batch: resume from the checkpoint
	case errors.Is(err, jobs.ErrCancelled):
		_, ferr := w.s.fail(ctx, j.Args.ImportRunID, err)
		return ferr
	}
	var snooze *river.JobSnoozeError
	if errors.As(err, &snooze) {
		return err // the attempt's time slice ended at a batch boundary
	}
	if j.Attempt >= j.MaxAttempts {
		_, ferr := w.s.fail(ctx, j.Args.ImportRunID, err)
		return ferr
	}
	return err
}
