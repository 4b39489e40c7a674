package main

import (
	"errors"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/policyrevision"
	"github.com/qualify/qualify/internal/policy"
)

func policyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Test, check, inspect, simulate, publish and roll back policy bundles"}
	cmd.AddCommand(policyTestCmd(), policyCheckCmd(), policyStatusCmd())
	cmd.AddCommand(policyAdminCmds()...)
	return cmd
}

func bundleDir(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return envOr("QUALIFY_POLICIES", "./policies")
}

// errRefused makes the process exit non-zero after the report was printed.
var errRefused = errors.New("the bundle would be refused")

func policyTestCmd() *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "test [DIR]",
		Short: "Run the bundle's _test.rego tests",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep := policy.RunTests(cmd.Context(), bundleDir(args))
			if err := rep.WriteText(cmd.OutOrStdout(), verbose); err != nil {
				return err
			}
			if !rep.OK() {
				return errRefused
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list every test")
	return cmd
}

func policyCheckCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check [DIR]",
		Short: "Compile, test and probe a bundle as the server would before activating it",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep := policy.Check(cmd.Context(), bundleDir(args))
			if err := rep.WriteText(cmd.OutOrStdout(), false); err != nil {
				return err
			}
			if !rep.OK() {
				return errRefused
			}
			return nil
		},
	}
	return cmd
}

func policyStatusCmd() *cobra.Command {
	var db dbFlags
	var limit int
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the database's active policy revision and the latest loaded ones",
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := db.openExisting(cmd.Context(), logger())
			if err != nil {
				return err
			}
			defer d.Close()
			revs, err := d.Client.PolicyRevision.Query().
				Order(ent.Desc(policyrevision.FieldLoadedAt)).Limit(limit).All(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "STATUS\tLABEL\tHASH\tLOADED\tSOURCE\tPROBLEMS")
			for _, r := range revs {
				fmt.Fprintf(w, "%s\t%s\t%.12s\t%s\t%s\t%d\n", r.Status, r.Label, r.Hash,
					r.LoadedAt.Format("2006-01-02 15:04:05"), r.Source, len(r.Problems))
			}
			if err := w.Flush(); err != nil {
				return err
			}
			for _, r := range revs {
				if r.Status == policyrevision.StatusREFUSED {
					fmt.Fprintf(os.Stdout, "\nlatest refused %s (%.12s):\n", r.Revision, r.Hash)
					for _, p := range r.Problems {
						fmt.Fprintf(os.Stdout, "  %s:%d:%d: %s\n", p.File, p.Row, p.Col, p.Message)
					}
					break
				}
			}
			return nil
		},
	}
	db.register(cmd)
	cmd.Flags().IntVar(&limit, "limit", 10, "how many revisions to list")
	return cmd
}
