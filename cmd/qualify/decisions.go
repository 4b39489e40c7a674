package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/qualify/qualify/internal/decisionlog"
)

func decisionsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "decisions", Short: "The decision log: export it (OPA decision-log JSON) and purge it past its retention"}
	cmd.AddCommand(decisionsExportCmd(), decisionsPurgeCmd())
	return cmd
}

func decisionsExportCmd() *cobra.Command {
	var (
		db       dbFlags
		since    time.Duration
		from, to string
	)
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the logged decisions as OPA decision-log events, one JSON object a line, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var lo, hi time.Time
			var err error
			if from != "" {
				if lo, err = time.Parse(time.RFC3339, from); err != nil {
					return fmt.Errorf("--from: %w", err)
				}
			}
			if to != "" {
				if hi, err = time.Parse(time.RFC3339, to); err != nil {
					return fmt.Errorf("--to: %w", err)
				}
			}
			if since > 0 {
				lo = time.Now().Add(-since)
			}
			d, err := db.open(cmd.Context(), logger())
			if err != nil {
				return err
			}
			defer d.Close()
			n, err := decisionlog.Export(cmd.Context(), d.Client, cmd.OutOrStdout(), lo, hi)
			fmt.Fprintf(os.Stderr, "%d decisions exported\n", n)
			return err
		},
	}
	cmd.Flags().DurationVar(&since, "since", 0, "only decisions of the last duration, e.g. 24h")
	cmd.Flags().StringVar(&from, "from", "", "only decisions at or after this RFC 3339 time")
	cmd.Flags().StringVar(&to, "to", "", "only decisions before this RFC 3339 time")
	db.register(cmd)
	return cmd
}

func decisionsPurgeCmd() *cobra.Command {
	var (
		db        dbFlags
		retention time.Duration
	)
	cmd := &cobra.Command{
		Use:   "purge",
		Short: "Delete the logged decisions older than --retention",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if retention <= 0 {
				return fmt.Errorf("--retention must be positive, e.g. 2160h for 90 days")
			}
			d, err := db.open(cmd.Context(), logger())
			if err != nil {
				return err
			}
			defer d.Close()
			n, err := decisionlog.Purge(cmd.Context(), d.Client, time.Now().Add(-retention))
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d decisions purged (older than %s)\n", n, retention)
			return nil
		},
	}
	cmd.Flags().DurationVar(&retention, "retention", 0, "keep the decisions of this last duration (required)")
	db.register(cmd)
	return cmd
}
