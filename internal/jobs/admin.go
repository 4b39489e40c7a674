package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/qualify/qualify/internal/domainerr"
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
// where they were); a running job is left as it is: CONFLICT.
func (e *Engine) Retry(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	j, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.State == rivertype.JobStateRunning {
		return nil, &domainerr.ConflictError{Message: fmt.Sprintf("job %d is running", id), Field: "id"}
	}
	j, err = e.client.JobRetry(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return nil, domainerr.NotFound("Job", id)
	}
	return j, err
}

// Cancel cancels a job: one waiting never runs, a running one is asked to stop (its context is
// cancelled on the replica running it) and is not retried. A finished job: CONFLICT.
func (e *Engine) Cancel(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	j, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.FinalizedAt != nil {
		return nil, &domainerr.ConflictError{Message: fmt.Sprintf("job %d is already %s", id, j.State), Field: "id"}
	}
	j, err = e.client.JobCancel(ctx, id)
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
