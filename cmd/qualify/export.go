package main

import (
	"fmt"
	"net/url"
	"os"

	"github.com/spf13/cobra"

	"github.com/qualify/qualify/internal/export"
)

// exportCmd writes leads or stage transitions as the HTTP exports do. It runs as an operator
// (no access scope): every row, nothing redacted.
func exportCmd() *cobra.Command {
	var (
		db     dbFlags
		format string
		flags  = map[string]*string{}
	)
	cmd := &cobra.Command{
		Use:       "export leads|transitions",
		Short:     "Write leads or stage transitions as CSV or NDJSON to stdout, in id order",
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"leads", "transitions"},
		RunE: func(cmd *cobra.Command, args []string) error {
			what := export.Leads
			switch args[0] {
			case "leads":
			case "transitions":
				what = export.Transitions
			default:
				return fmt.Errorf("export %q: want leads or transitions", args[0])
			}
			f, err := export.ParseFormat(format)
			if err != nil {
				return err
			}
			q := url.Values{}
			for name, v := range flags {
				if *v != "" {
					q.Set(name, *v)
				}
			}
			filter, err := export.ParseFilter(q)
			if err != nil {
				return err
			}
			d, err := db.openExisting(cmd.Context(), logger())
			if err != nil {
				return err
			}
			defer d.Close()
			n, err := what(cmd.Context(), d.Client, cmd.OutOrStdout(), f, filter)
			fmt.Fprintf(os.Stderr, "%d %s exported\n", n, args[0])
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "csv", "csv or ndjson")
	for name, usage := range map[string]string{
		export.ParamCreatedAfter:  "only rows created (transitions: occurred) at or after this RFC 3339 time",
		export.ParamCreatedBefore: "only rows created (transitions: occurred) before this RFC 3339 time",
		export.ParamStage:         "only leads in (transitions into) the stage with this key",
		export.ParamSource:        "only leads of this source (WEB_FORM, TRADE_FAIR, …)",
		export.ParamOwner:         "only leads owned by this user id",
	} {
		flags[name] = cmd.Flags().String(name, "", usage)
	}
	db.register(cmd)
	return cmd
}
