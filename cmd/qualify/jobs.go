package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/spf13/cobra"

	"github.com/qualify/qualify/internal/jobs"
)

// jobsCmd is `qualify jobs`: the background jobs of the database (list, retry, cancel).
func jobsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "jobs", Short: "List, retry and cancel the background jobs (requalify, simulations, sweeps)"}
	cmd.AddCommand(jobsListCmd(), jobsActionCmd("retry", "Run a finished or waiting job again at once", (*jobs.Engine).Retry),
		jobsActionCmd("cancel", "Cancel a job: a waiting one never runs, a running one stops at its next safe point", (*jobs.Engine).Cancel))
	return cmd
}

func jobsListCmd() *cobra.Command {
	var (
		db     dbFlags
		kinds  []string
		states []string
		first  int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List jobs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := jobs.Filter{Kinds: kinds, First: first}
			for _, s := range states {
				st, err := jobs.ParseState(s)
				if err != nil {
					return err
				}
				f.States = append(f.States, st)
			}
			e, closeDB, err := openJobs(cmd, &db)
			if err != nil {
				return err
			}
			defer closeDB()
			rows, more, err := e.List(cmd.Context(), f)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				for _, j := range rows {
					if err := enc.Encode(jobView(j)); err != nil {
						return err
					}
				}
				return nil
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tKIND\tSTATE\tATTEMPT\tCREATED\tPROGRESS\tLAST ERROR")
			for _, j := range rows {
				v := jobView(j)
				fmt.Fprintf(w, "%d\t%s\t%s\t%d/%d\t%s\t%s\t%s\n", j.ID, j.Kind, strings.ToUpper(string(j.State)), j.Attempt, j.MaxAttempts,
					j.CreatedAt.UTC().Format(time.RFC3339), progressOf(j.Kind, j.Output()), v["lastError"])
			}
			if more {
				fmt.Fprintln(w, "…\t(more: --first)")
			}
			return w.Flush()
		},
	}
	db.register(cmd)
	cmd.Flags().StringSliceVar(&kinds, "kind", nil, "only jobs of these kinds (requalify, ...)")
	cmd.Flags().StringSliceVar(&states, "state", nil, "only jobs in these states (available, running, retryable, scheduled, completed, cancelled, discarded, pending)")
	cmd.Flags().IntVar(&first, "first", 50, "how many (at most 200)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object a line")
	return cmd
}

func jobsActionCmd(use, short string, act func(*jobs.Engine, context.Context, int64) (*rivertype.JobRow, error)) *cobra.Command {
	var db dbFlags
	cmd := &cobra.Command{
		Use:   use + " JOB_ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("job id %q: not a number", args[0])
			}
			e, closeDB, err := openJobs(cmd, &db)
			if err != nil {
				return err
			}
			defer closeDB()
			j, err := act(e, cmd.Context(), id)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "job %d (%s) is %s\n", j.ID, j.Kind, strings.ToUpper(string(j.State)))
			return nil
		},
	}
	db.register(cmd)
	return cmd
}

// openJobs opens the database and an engine that works no jobs (this process only reads and
// changes them; the servers work them).
func openJobs(cmd *cobra.Command, db *dbFlags) (*jobs.Engine, func(), error) {
	log := logger()
	d, err := db.openExisting(cmd.Context(), log)
	if err != nil {
		return nil, nil, err
	}
	e, err := jobs.New(d, jobs.Config{Workers: -1, Logger: log})
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return e, func() { d.Close() }, nil
}

// jobView is a job as the CLI shows it: its progress (output) and last error.
func jobView(j *rivertype.JobRow) map[string]any {
	v := map[string]any{
		"id": j.ID, "kind": j.Kind, "state": strings.ToUpper(string(j.State)), "attempt": j.Attempt,
		"maxAttempts": j.MaxAttempts, "createdAt": j.CreatedAt, "args": json.RawMessage(j.EncodedArgs),
		"progress": "", "lastError": "",
	}
	if out := j.Output(); len(out) > 0 {
		v["progress"] = string(out)
	}
	if n := len(j.Errors); n > 0 {
		v["lastError"] = j.Errors[n-1].Error
	}
	if j.FinalizedAt != nil {
		v["finalizedAt"] = *j.FinalizedAt
	}
	return v
}

// progressOf reads a job's output for the list: "simulation 12: 400/1000 (40%)" for a job that
// reports processed of total with the id of its row (simulation, requalify), else the raw JSON.
func progressOf(kind string, out []byte) string {
	if len(out) == 0 {
		return ""
	}
	var p map[string]any
	if json.Unmarshal(out, &p) != nil {
		return string(out)
	}
	num := func(k string) (int64, bool) { f, ok := p[k].(float64); return int64(f), ok }
	done, ok := num("processed")
	if !ok {
		return string(out)
	}
	s := fmt.Sprintf("%d", done)
	if total, ok := num("total"); ok {
		s = fmt.Sprintf("%d/%d", done, total)
		if total > 0 {
			s += fmt.Sprintf(" (%d%%)", done*100/total)
		}
	}
	for _, k := range []string{"simulationId", "requalifyJobId"} {
		if id, ok := num(k); ok {
			s = fmt.Sprintf("%s %d: %s", kind, id, s)
		}
	}
	if moved, ok := num("moved"); ok {
		s += fmt.Sprintf(", %d moved", moved)
	}
	if failed, ok := num("failed"); ok && failed > 0 {
		s += fmt.Sprintf(", %d failed", failed)
	}
	return s
}
