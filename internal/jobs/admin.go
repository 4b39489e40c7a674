package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/auditevent"
	"github.com/qualify/qualify/internal/audit"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/txn"
)

// States are the job states, as River names them.
var States = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStateCancelled, rivertype.JobStateCompleted,
	rivertype.JobStateDiscarded, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// Filter selects jobs for List: newest first, kinds and states when set, ids below Before.
type Filter struct {
	Kinds  []string
	States []rivertype.JobState
	Before int64 // 0: from the newest
	First  int
}

// List returns jobs by descending id, and whether more follow.
func (e *Engine) List(ctx context.Context, f Filter) ([]*rivertype.JobRow, bool, error) {
	for _, s := range f.States {
		if !slices.Contains(States, s) {
			return nil, false, domainerr.Validation("states", fmt.Sprintf("unknown job state %q", s))
		}
	}
	if f.First <= 0 || f.First > 200 {
		f.First = 50
	}
	p := river.NewJobListParams().OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(f.First + 1)
	if len(f.Kinds) > 0 {
		p = p.Kinds(f.Kinds...)
	}
	states := f.States
	if len(states) == 0 {
		states = States
	}
	p = p.States(states...)
	if f.Before > 0 {
		p = p.Where("id < @before", river.NamedArgs{"before": f.Before})
	}
	res, err := e.client.JobList(ctx, p)
	if err != nil {
		return nil, false, err
	}
	rows := res.Jobs
	more := len(rows) > f.First
	if more {
		rows = rows[:f.First]
	}
	return rows, more, nil
}

// Get returns a job, or NOT_FOUND.
func (e *Engine) Get(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	j, err := e.client.JobGet(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return nil, domainerr.NotFound("Job", id)
	}
	return j, err
}

// Retry makes a finished or waiting job available to run again at once (attempts go on from
// where they were); a running job is left as it is: VALIDATION_FAILED. The retry is audited in
// its transaction.
func (e *Engine) Retry(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	j, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.State == rivertype.JobStateRunning {
		return nil, domainerr.Validation("id", fmt.Sprintf("job %d is running: it cannot be retried until it ends", id))
	}
	return e.audited(ctx, id, audit.JobRetry, e.client.JobRetryTx)
}

// Cancel cancels a job: one waiting never runs, a running one is asked to stop (its context is
// cancelled on the replica running it) and is not retried. A finished job: VALIDATION_FAILED.
// The cancel is audited in its transaction.
func (e *Engine) Cancel(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	j, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.FinalizedAt != nil {
		return nil, domainerr.Validation("id", fmt.Sprintf("job %d is already %s: only a waiting or running job can be cancelled", id, j.State))
	}
	return e.audited(ctx, id, audit.JobCancel, e.client.JobCancelTx)
}

// audited runs River's act on job id and records it as action, in one transaction.
func (e *Engine) audited(ctx context.Context, id int64, action auditevent.Action,
	act func(context.Context, *sql.Tx, int64) (*rivertype.JobRow, error)) (*rivertype.JobRow, error) {
	var j *rivertype.JobRow
	err := txn.Run(ctx, e.db.Client, func(ctx context.Context, tx *ent.Client) error {
		stx, err := InTx(ctx)
		if err != nil {
			return err
		}
		if j, err = act(ctx, stx, id); err != nil {
			return err
		}
		_, err = audit.Record(ctx, tx, audit.Event{Action: action, Target: fmt.Sprint(id),
			Details: map[string]any{"kind": j.Kind, "state": string(j.State), "attempt": j.Attempt}})
		return err
	})
	if errors.Is(err, river.ErrNotFound) {
		return nil, domainerr.NotFound("Job", id)
	}
	return j, err
}

// ParseState reads a state in any case ("RUNNING", "running").
func ParseState(s string) (rivertype.JobState, error) {
	st := rivertype.JobState(strings.ToLower(s))
	if !slices.Contains(States, st) {
		return "", domainerr.Validation("state", fmt.Sprintf("unknown job state %q", s))
	}
	return st, nil
}
