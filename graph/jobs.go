package graph

import (
	"context"
	"encoding/json"
	"strings"

	"entgo.io/contrib/entgql"
	"github.com/riverqueue/river/rivertype"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/graph/model"
	"github.com/qualify/qualify/internal/jobs"
)

// listJobs is a page of jobs, newest first: the cursor is the id of the last job of the page.
func listJobs(ctx context.Context, e *jobs.Engine, kinds []string, states []model.JobState, first *int, after *entgql.Cursor[int]) (*model.JobConnection, error) {
	f := jobs.Filter{Kinds: kinds, First: orZero(first)}
	for _, s := range states {
		f.States = append(f.States, rivertype.JobState(strings.ToLower(string(s))))
	}
	if after != nil {
		f.Before = int64(after.ID)
	}
	rows, more, err := e.List(ctx, f)
	if err != nil {
		return nil, err
	}
	out := &model.JobConnection{Edges: make([]*model.JobEdge, len(rows)), PageInfo: &ent.PageInfo{HasNextPage: more}}
	for i, j := range rows {
		out.Edges[i] = &model.JobEdge{Node: jobView(j), Cursor: ent.Cursor{ID: int(j.ID)}}
	}
	if n := len(out.Edges); n > 0 {
		out.PageInfo.StartCursor, out.PageInfo.EndCursor = &out.Edges[0].Cursor, &out.Edges[n-1].Cursor
	}
	return out, nil
}

// jobOf converts the job of an engine call.
func jobOf(j *rivertype.JobRow, err error) (*model.Job, error) {
	if err != nil {
		return nil, err
	}
	return jobView(j), nil
}

// jobView is a job as the API shows it; args and progress are the job's JSON, decoded.
func jobView(j *rivertype.JobRow) *model.Job {
	v := &model.Job{
		ID: int(j.ID), Kind: j.Kind, State: model.JobState(strings.ToUpper(string(j.State))),
		Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, AttemptedAt: j.AttemptedAt, CreatedAt: j.CreatedAt,
		ScheduledAt: j.ScheduledAt, FinalizedAt: j.FinalizedAt, Errors: make([]*model.JobError, len(j.Errors)),
	}
	_ = json.Unmarshal(j.EncodedArgs, &v.Args) // River wrote both; a non-object reads as null
	if out := j.Output(); len(out) > 0 {
		_ = json.Unmarshal(out, &v.Progress)
	}
	for i, e := range j.Errors {
		v.Errors[i] = &model.JobError{Attempt: e.Attempt, At: e.At, Error: e.Error}
	}
	return v
}

// optInt is p as an int, for an optional id.
func optInt(p *int64) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}
