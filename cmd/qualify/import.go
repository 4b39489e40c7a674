package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/internal/audit"
	"github.com/qualify/qualify/internal/funnel"
	"github.com/qualify/qualify/internal/jobs"
	"github.com/qualify/qualify/internal/leadimport"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/webhook"
)

func importCmd() *cobra.Command {
	var (
		db        dbFlags
		o         leadimport.Options
		source    string
		columns   []string
		saveAs    string
		errorsOut string
		wait      bool
	)
	cmd := &cobra.Command{
		Use:   "import leads.csv",
		Short: "Import leads from a CSV file (UTF-8 ±BOM or Windows-1252, ';' or ','), qualified with trigger IMPORT",
		Long: "Import leads from a CSV file. Columns are mapped by header (known names, a saved --mapping, " +
			"--column header=field); each row is validated and matched as the API does; a row's key (a key " +
			"column, else the email) makes a second import of it a match, so the same file twice creates nothing. " +
			"The run is stored with its file and queued as a job that a server works, 200 rows a transaction, resuming " +
			"from its checkpoint after a restart; --wait works it in this process instead (a server that picks the job " +
			"meanwhile goes on from the same checkpoint).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := audit.CLI(cmd.Context())
			log := logger()
			raw, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			o.FileName, o.DefaultSource = args[0], lead.Source(strings.ToUpper(source))
			o.Columns = map[string]string{}
			for _, c := range columns {
				h, f, ok := strings.Cut(c, "=")
				if !ok {
					return fmt.Errorf("--column %q: want header=field", c)
				}
				o.Columns[h] = f
			}
			d, err := db.openExisting(ctx, log)
			if err != nil {
				return err
			}
			defer d.Close()
			engine, _, err := activeEngine(ctx, d.Client, log)
			if err != nil {
				return err
			}
			// The server's wiring of a transition: funnel rollups and the webhook outbox, whose
			// delivery jobs the server works.
			f := funnel.New(d.Client, d.Dialect)
			d.Client.Lead.Use(f.Rollups().LeadHook())
			je, err := jobs.New(d, jobs.Config{Workers: -1, Logger: log}) // enqueues only; the server delivers
			if err != nil {
				return err
			}
			lc := lifecycle.New(d.Client, engine, lifecycle.WithLogger(log), lifecycle.WithTransitionHook(f.Rollups().Record),
				lifecycle.WithTransitionHook(webhook.NewOutbox(webhook.RiverQueue(je, webhook.DefaultMaxAttempts)).Record))
			svc := leadimport.New(d.Client, lc)
			svc.UseJobs(je) // the run is queued: a server works it, or --wait works it here
			if saveAs != "" {
				if _, err := svc.SaveMapping(ctx, saveAs, o.Columns); err != nil {
					return err
				}
			}
			var bar *progressbar.ProgressBar
			o.Progress = func(n, total int) {
				if bar == nil {
					bar = progressbar.NewOptions(total, progressbar.OptionSetDescription("importing"), progressbar.OptionSetWriter(os.Stderr))
				}
				_ = bar.Set(n)
			}
			run, err := svc.Import(ctx, raw, o)
			if err == nil && !run.DryRun {
				if !wait {
					fmt.Printf("queued import run %d of %s (%d rows): a server works it; query importRun(id: %d), or import with --wait\n",
						run.ID, args[0], run.Total, run.ID)
					return nil
				}
				// Worked here, batch by batch; a server that takes the job meanwhile goes on
				// from the same checkpoint, and this process then waits for it.
				id := run.ID
				if run, err = svc.Work(ctx, id, o.Progress); errors.Is(err, leadimport.ErrTakenOver) {
					run, err = svc.WaitRun(ctx, id, nil)
				}
			}
			if bar != nil {
				_ = bar.Finish()
				fmt.Fprintln(os.Stderr)
			}
			if run != nil {
				verb := "imported"
				if run.DryRun {
					verb = "dry run"
				}
				fmt.Printf("%s %s (%s, %q): %d rows, %d created, %d matched, %d refused\n", verb, args[0], run.Encoding, run.Delimiter,
					run.Total, run.Created, run.Matched, run.Refused)
				if len(run.UnknownColumns) > 0 {
					fmt.Printf("ignored columns: %s\n", strings.Join(run.UnknownColumns, ", "))
				}
				if errorsOut != "" && run.Refused > 0 {
					if werr := os.WriteFile(errorsOut, []byte(run.ErrorCsv), 0o644); werr != nil {
						return werr
					}
					fmt.Printf("refused rows: %s\n", errorsOut)
				}
			}
			return err
		},
	}
	db.register(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&o.DryRun, "dry-run", false, "report what would be created, matched and refused; write no lead")
	fl.StringVar(&o.Mapping, "mapping", "", "name of a saved column mapping")
	fl.StringArrayVar(&columns, "column", nil, "header=field, over the mapping (repeatable; an empty field ignores the column)")
	fl.StringVar(&saveAs, "save-mapping", "", "save the --column mapping under this name first")
	fl.StringVar(&source, "source", "TRADE_FAIR", "source of rows without one")
	fl.BoolVar(&wait, "wait", false, "work the import in this process and report its counts (else it is queued for a server)")
	fl.StringVar(&errorsOut, "errors", "", "write the refused rows (row, column, code, reason, row) to this CSV file")
	return cmd
}
