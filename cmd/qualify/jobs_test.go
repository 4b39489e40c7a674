package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/qualify/qualify/internal/jobs"
	"github.com/qualify/qualify/internal/policyadmin"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

type cliNoteArgs struct{}

func (cliNoteArgs) Kind() string { return "cli_note" }

// `qualify jobs list|cancel|retry` on the jobs of a migrated database: a scheduled job is
// listed, cancelled (then listed as CANCELLED), and retried (AVAILABLE again).
func TestJobsCommand(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	path := testenv.SQLiteFile(t)
	if out, err := run(t, "migrate", "--sqlite", path); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	db, err := store.Open(context.Background(), store.Config{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, err := jobs.New(db, jobs.Config{Workers: -1})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Insert(context.Background(), cliNoteArgs{}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(res.Job.ID)
	out, err := run(t, "jobs", "list", "--sqlite", path)
	if err != nil || !strings.Contains(out, "cli_note") || !strings.Contains(out, "SCHEDULED") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if out, err := run(t, "jobs", "cancel", id, "--sqlite", path); err != nil || !strings.Contains(out, "CANCELLED") {
		t.Fatalf("cancel: %v\n%s", err, out)
	}
	out, err = run(t, "jobs", "list", "--sqlite", path, "--state", "cancelled", "--json")
	if err != nil || !strings.Contains(out, `"id":`+id) {
		t.Fatalf("list cancelled: %v\n%s", err, out)
	}
	if out, err := run(t, "jobs", "cancel", id, "--sqlite", path); err == nil {
		t.Errorf("cancelling a cancelled job succeeded: %s", out)
	}
	if out, err := run(t, "jobs", "retry", id, "--sqlite", path); err != nil || !strings.Contains(out, "AVAILABLE") {
		t.Fatalf("retry: %v\n%s", err, out)
	}
	if out, err := run(t, "jobs", "list", "--sqlite", path, "--state", "bogus"); err == nil {
		t.Errorf("an unknown state was accepted: %s", out)
	}
}

// `qualify jobs list` shows a simulation's progress as its row id and leads done of total.
func TestJobsListShowsSimulationProgress(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	path := testenv.SQLiteFile(t)
	if out, err := run(t, "migrate", "--sqlite", path); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	db, err := store.Open(context.Background(), store.Config{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, err := jobs.New(db, jobs.Config{Workers: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := e.Insert(ctx, policyadmin.SimulationArgs{SimulationID: 12}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client().JobUpdate(ctx, res.Job.ID, &river.JobUpdateParams{
		Output: map[string]any{"simulationId": 12, "processed": 400, "total": 1000}}); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "jobs", "list", "--sqlite", path)
	if err != nil || !strings.Contains(out, "simulation 12: 400/1000 (40%)") {
		t.Fatalf("list: %v\n%s", err, out)
	}
}
