package main

import (
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/qualify/qualify/internal/funnel"
)

func funnelCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "funnel", Short: "Funnel analytics: maintain the rollup"}
	cmd.AddCommand(funnelRebuildCmd())
	return cmd
}

func funnelRebuildCmd() *cobra.Command {
	var db dbFlags
	cmd := &cobra.Command{
		Use:   "rebuild",
		Short: "Recompute the funnel rollups (per-lead ledger and aggregate) from the stage transitions (after bulk writes)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := logger()
			d, err := db.openExisting(cmd.Context(), log)
			if err != nil {
				return err
			}
			defer d.Close()
			// One step of the bar per statement of the rebuild; each may take seconds on a large
			// history, so the bar's own clock (elapsed, spinner) shows it is alive between them.
			var bar *progressbar.ProgressBar
			st, err := funnel.New(d.Client, d.Dialect).Rollups().RebuildProgress(cmd.Context(), func(done, total int, step string) {
				if bar == nil {
					bar = progressbar.NewOptions(total, progressbar.OptionSetDescription("rebuilding the funnel"),
						progressbar.OptionSetWriter(cmd.ErrOrStderr()), progressbar.OptionShowCount(),
						progressbar.OptionSetElapsedTime(true), progressbar.OptionClearOnFinish())
				}
				bar.Describe("rebuilding the funnel: " + step)
				_ = bar.Set(done)
			})
			if bar != nil {
				_ = bar.Finish()
			}
			if err != nil {
				return err
			}
			log.Info("rebuilt the funnel rollup", "leads", st.Rows, "exits", st.Exits, "elapsed", st.Duration.Round(time.Millisecond))
			return nil
		},
	}
	db.register(cmd)
	return cmd
}
