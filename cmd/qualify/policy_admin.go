package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/auditevent"
	"github.com/qualify/qualify/ent/policyrevision"
	"github.com/qualify/qualify/internal/audit"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/policyadmin"
)

// policyAdminCmds are the revenue-ops twins of the admin API: simulate, publish, rollback.
func policyAdminCmds() []*cobra.Command {
	return []*cobra.Command{policySimulateCmd(), policyPublishCmd(), policyRollbackCmd(), policyRequalifyCmd(), policyDiffCmd()}
}

func policySimulateCmd() *cobra.Command {
	var (
		db                dbFlags
		draft, policies   string
		whereJSON         string
		sample, batch, wk int
	)
	cmd := &cobra.Command{
		Use:   "simulate --draft DIR",
		Short: "Show what a draft bundle would change across the stored leads, writing nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := audit.CLI(cmd.Context())
			where, err := parseLeadWhere(whereJSON)
			if err != nil {
				return err
			}
			engine := policy.New(policy.Options{Logger: logger(), Verified: verified})
			activeFiles, err := policy.ReadDir(policies)
			if err != nil {
				return err
			}
			active, err := engine.Load(ctx, activeFiles, policies)
			if err != nil {
				return fmt.Errorf("active bundle %s: %w", policies, err)
			}
			draftFiles, err := policy.ReadDir(draft)
			if err != nil {
				return err
			}
			draftRev, rep := engine.Verify(ctx, draftFiles)
			if draftRev == nil || !rep.OK() {
				_ = rep.WriteText(cmd.OutOrStdout(), false)
				return errRefused
			}
			d, err := db.openExisting(ctx, logger())
			if err != nil {
				return err
			}
			defer d.Close()
			// The bar is made once the total is known: an open-ended bar runs a spinner goroutine
			// that races with updates inside progressbar v3.19.
			var bar *progressbar.ProgressBar
			sim, err := policyadmin.Compare(ctx, lifecycle.New(d.Client, engine), active, draftRev, policyadmin.SimulateOptions{
				Where: where, Sample: sample, Batch: batch, Workers: wk,
				Progress: func(done, total int) {
					if bar == nil {
						bar = progressbar.NewOptions(total, progressbar.OptionSetDescription("simulating"),
							progressbar.OptionSetWriter(cmd.ErrOrStderr()), progressbar.OptionShowCount(),
							progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
					}
					_ = bar.Set(done)
				},
			})
			if bar != nil {
				_ = bar.Finish()
			}
			if err != nil {
				return err
			}
			details := map[string]any{"activeHash": active.Hash(), "leads": sim.Leads, "stageChanged": sim.StageChanged}
			if whereJSON != "" {
				details["where"] = whereJSON
			}
			if _, err := audit.Record(ctx, d.Client, audit.Event{Action: audit.PolicySimulate, Target: sim.DraftHash, Details: details}); err != nil {
				return err
			}
			return writeSimulation(cmd.OutOrStdout(), sim)
		},
	}
	db.register(cmd)
	cmd.Flags().StringVar(&draft, "draft", "", "draft bundle directory (required)")
	cmd.Flags().StringVar(&policies, "policies", envOr("QUALIFY_POLICIES", "./policies"), "the active bundle directory")
	cmd.Flags().StringVar(&whereJSON, "where-json", "", `LeadWhereInput as JSON, e.g. {"source":"WEB_FORM"}`)
	cmd.Flags().IntVar(&sample, "sample", 10, "changed leads to list")
	cmd.Flags().IntVar(&batch, "batch", 500, "leads per query round")
	cmd.Flags().IntVar(&wk, "workers", 0, "decision workers (0: GOMAXPROCS)")
	_ = cmd.MarkFlagRequired("draft")
	return cmd
}

// writeSimulation prints a simulation as tables.
func writeSimulation(out io.Writer, s *policyadmin.PolicySimulation) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "active %s → draft %s (%.12s): %d leads in %.0f ms", s.ActiveRevision, s.DraftRevision, s.DraftHash, s.Leads, s.DurationMs)
	if s.Errors > 0 {
		fmt.Fprintf(w, ", %d failed decisions (first: %s)", s.Errors, s.FirstError)
	}
	fmt.Fprintf(w, "\nchanged\trecommended stage %d\tgrade %d\ttemperature %d\n", s.RecommendationChanged, s.GradeChanged, s.TemperatureChanged)
	fmt.Fprintf(w, "a requalify under the draft\tmoves %d\t(%d already stale under the active revision)\t\n", s.StageChanged, s.AlreadyStale)
	fmt.Fprintf(w, "limited to the draft's changes\tmoves %d\t(%d outcomes changed)\t\n", s.ChangedOnlyMoves, s.OutcomeChanged)
	fmt.Fprintf(w, "held by a person's decision\t%d\t\t\n\n", s.Protected)
	fmt.Fprintln(w, "STAGE\tREACHED NOW\tREACHED DRAFT\tDELTA")
	for _, p := range s.Funnel {
		fmt.Fprintf(w, "%s\t%d\t%d\t%+d\n", p.Stage, p.ReachedNow, p.ReachedDraft, p.ReachedDraft-p.ReachedNow)
	}
	fmt.Fprintf(w, "MQL→SQL\t%s\t%s\t\n\n", pct(s.MqlToSqlNow), pct(s.MqlToSqlDraft))
	fmt.Fprintln(w, "FROM\tTO\tLEADS\t")
	if s.RecommendationChanged == 0 {
		fmt.Fprintln(w, "(no lead changes stage)\t\t\t")
	}
	for _, c := range s.StageMatrix {
		if c.From != c.To {
			fmt.Fprintf(w, "%s\t%s\t%d\t\n", c.From, c.To, c.Count)
		}
	}
	fmt.Fprintln(w, "\nSCORE\tBEFORE\tAFTER\t")
	for _, b := range s.ScoreHistogram {
		hi := "…"
		if b.Max != nil {
			hi = fmt.Sprint(*b.Max - 1)
		}
		fmt.Fprintf(w, "%d–%s\t%d\t%d\t\n", b.Min, hi, b.Before, b.After)
	}
	fmt.Fprintln(w, "\nLEAD\tSTAGE\tSCORE\tGRADE\tTEMPERATURE\tNEW REASONS")
	for _, l := range s.Sample {
		codes := make([]string, len(l.NewReasons))
		for i, r := range l.NewReasons {
			codes[i] = r.Code
		}
		fmt.Fprintf(w, "%d\t%s→%s\t%d→%d\t%s→%s\t%s→%s\t%s\n", l.LeadID, l.OldStage, l.NewStage, l.OldScore, l.NewScore,
			l.OldGrade, l.NewGrade, l.OldTemperature, l.NewTemperature, strings.Join(codes, ","))
	}
	return w.Flush()
}

func pct(r *float64) string {
	if r == nil {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", *r*100)
}

func policyPublishCmd() *cobra.Command {
	var (
		db       dbFlags
		policies string
		message  string
		wait     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "publish DIR -m MSG",
		Short: "Verify a draft bundle and write it into the watched policy directory as a new revision",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fs, err := policy.ReadDir(args[0])
			if err != nil {
				return err
			}
			return publishAndWait(cmd, &db, policies, fs, message, wait, audit.PolicyPublish, map[string]any{"draftHash": fs.Hash()})
		},
	}
	publishFlags(cmd, &db, &policies, &message, &wait)
	_ = cmd.MarkFlagRequired("message")
	return cmd
}

func policyRollbackCmd() *cobra.Command {
	var (
		db       dbFlags
		policies string
		message  string
		wait     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "rollback REV",
		Short: "Republish the files of a stored revision (hash, unique hash prefix such as the 12 characters status prints, or label) as a new revision",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := db.openExisting(cmd.Context(), logger())
			if err != nil {
				return err
			}
			old, err := policyadmin.FindRevision(cmd.Context(), d.Client, args[0])
			d.Close()
			if err != nil {
				return refError(err)
			}
			fs, err := policyadmin.StoredFiles(old)
			if err != nil {
				return err
			}
			if message == "" {
				message = fmt.Sprintf("rollback to %s (%.12s)", old.Revision, old.Hash)
			}
			return publishAndWait(cmd, &db, policies, fs, message, wait, audit.PolicyRollback, map[string]any{"restoredHash": old.Hash})
		},
	}
	publishFlags(cmd, &db, &policies, &message, &wait)
	return cmd
}

func publishFlags(cmd *cobra.Command, db *dbFlags, policies, message *string, wait *time.Duration) {
	db.register(cmd)
	cmd.Flags().StringVar(policies, "policies", envOr("QUALIFY_POLICIES", "./policies"), "the watched bundle directory to publish into")
	cmd.Flags().StringVarP(message, "message", "m", "", "what changed and why")
	cmd.Flags().DurationVar(wait, "wait", 30*time.Second, "how long to wait for a server to activate it (0: do not wait)")
}

// publishAndWait writes fs into the watched directory and waits until a server watching it has
// recorded the new revision in the database as active or refused; an activation is audited as
// action by the command's user. With --wait 0 nothing is recorded: no server has taken it yet.
func publishAndWait(cmd *cobra.Command, db *dbFlags, dir string, fs policy.Files, message string, wait time.Duration,
	action auditevent.Action, details map[string]any) error {
	ctx := audit.CLI(cmd.Context())
	out := cmd.OutOrStdout()
	written, err := policyadmin.PublishDir(ctx, policy.New(policy.Options{Logger: logger(), Verified: verified}), dir, fs)
	if err != nil {
		if de, ok := errors.AsType[*policyadmin.DraftError](err); ok {
			_ = de.Report.WriteText(out, false)
			return errRefused
		}
		return err
	}
	fmt.Fprintf(out, "wrote %.12s into %s\n", written.Hash(), dir)
	if wait == 0 {
		return nil
	}
	d, err := db.openExisting(ctx, logger())
	if err != nil {
		return err
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	fmt.Fprintf(cmd.ErrOrStderr(), "waiting up to %s for a server watching %s to activate %.12s\n", wait, dir, written.Hash())
	for {
		r, err := d.Client.PolicyRevision.Query().Where(policyrevision.Hash(written.Hash())).Only(ctx)
		switch {
		case err == nil && r.Status == policyrevision.StatusREFUSED:
			for _, p := range r.Problems {
				fmt.Fprintf(out, "%s:%d:%d: %s\n", p.File, p.Row, p.Col, p.Message)
			}
			return errRefused
		case err == nil:
			if message != "" {
				_ = d.Client.PolicyRevision.UpdateOne(r).SetMessage(message).Exec(ctx)
			}
			if _, err := audit.Record(ctx, d.Client, audit.Event{Action: action, Target: r.Hash, Message: message, Details: details}); err != nil {
				return err
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "STATUS\tLABEL\tHASH\tMESSAGE")
			fmt.Fprintf(w, "%s\t%s\t%.12s\t%s\n", r.Status, r.Label, r.Hash, message)
			return w.Flush()
		case !ent.IsNotFound(err):
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no server activated %.12s within %s: is one watching %s?", written.Hash(), wait, dir)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func policyDiffCmd() *cobra.Command {
	var db dbFlags
	cmd := &cobra.Command{
		Use:   "diff FROM TO",
		Short: "Unified diff between two stored revisions (each a hash, unique hash prefix or label)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			d, err := db.openExisting(ctx, logger())
			if err != nil {
				return err
			}
			defer d.Close()
			var revs [2]*ent.PolicyRevision
			for i, ref := range args {
				if revs[i], err = policyadmin.FindRevision(ctx, d.Client, ref); err != nil {
					return refError(err)
				}
			}
			diffs, err := policyadmin.DiffFiles(revs[0].Files, revs[1].Files, revs[0].Label, revs[1].Label)
			if err != nil {
				return err
			}
			for _, df := range diffs {
				fmt.Fprint(cmd.OutOrStdout(), df.Diff)
			}
			return nil
		},
	}
	db.register(cmd)
	return cmd
}

// refError spells out an ambiguous revision reference with its candidates, one a line.
func refError(err error) error {
	amb, ok := errors.AsType[*domainerr.AmbiguousError](err)
	if !ok {
		return err
	}
	var b strings.Builder
	b.WriteString(amb.Error())
	for _, c := range amb.Candidates {
		fmt.Fprintf(&b, "\n  %.12s  %-32v %v  %v", c["hash"], c["label"], c["status"], c["loadedAt"])
	}
	return errors.New(b.String())
}
