package main

import (
	"time"

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
			d, err := db.open(cmd.Context(), log)
			if err != nil {
				return err
			}
			defer d.Close()
			st, err := funnel.New(d.Client, d.Dialect).Rollups().Rebuild(cmd.Context())
			if err != nil {
				return err
			}
			log.Info("rebuilt the funnel rollups", "reaches", st.Rows, "exits", st.Exits, "counts", st.Counts,
				"sketches", st.Sketches, "elapsed", st.Duration.Round(time.Millisecond))
			return nil
		},
	}
	db.register(cmd)
	return cmd
}
