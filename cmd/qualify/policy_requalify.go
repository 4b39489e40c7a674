package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/policyrevision"
	"github.com/qualify/qualify/ent/requalifyjob"
	"github.com/qualify/qualify/internal/audit"
	"github.com/qualify/qualify/internal/funnel"
	"github.com/qualify/qualify/internal/jobs"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/policyadmin"
	"github.com/qualify/qualify/internal/store"
)

// openExisting opens and migrates a database that must exist already: the commands that read
// or change a Qualify database never create one, so a mistyped --sqlite fails instead of
// answering from a new, empty file. (migrate, seed and serve create it.)
func (f *dbFlags) openExisting(ctx context.Context, log *slog.Logger) (*store.DB, error) {
	if f.url == "" {
		path := f.sqlite
		if path == "" {
			path = store.DefaultSQLitePath
		}
		info, err := os.Stat(path)
		if err != nil || info.IsDir() || info.Size() == 0 {
			return nil, fmt.Errorf("no Qualify database at %s: give --sqlite or --database-url of an existing one (`qualify migrate` creates one)", path)
		}
	}
	return f.open(ctx, log)
}

// parseLeadWhere reads a LeadWhereInput from JSON as strictly as the API does: an unknown field
// or an enum value the schema does not have is an error, never a filter silently left out.
func parseLeadWhere(s string) (*ent.LeadWhereInput, error) {
	if s == "" {
		return nil, nil
	}
	where := &ent.LeadWhereInput{}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(where); err != nil {
		return nil, fmt.Errorf("--where-json: %w", err)
	}
	if err := checkEnums(reflect.ValueOf(where), "where"); err != nil {
		return nil, fmt.Errorf("--where-json: %w", err)
	}
	return where, nil
}

// gqlEnum is an ent enum: its UnmarshalGQL refuses values the schema does not list.
type gqlEnum interface{ UnmarshalGQL(any) error }

// checkEnums validates every enum value under v, nested where inputs included.
func checkEnums(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return checkEnums(v.Elem(), path)
	case reflect.Slice:
		for i := range v.Len() {
			if err := checkEnums(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.String:
		if v.CanAddr() {
			if e, ok := v.Addr().Interface().(gqlEnum); ok {
				if err := e.UnmarshalGQL(v.String()); err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range v.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			name, _, _ := bytes.Cut([]byte(t.Field(i).Tag.Get("json")), []byte(","))
			if err := checkEnums(v.Field(i), path+"."+string(name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// activeStored returns the files of the revision the database records as active: what the
// servers decide with, whatever is staged in a directory.
func activeStored(ctx context.Context, c *ent.Client) (*ent.PolicyRevision, policy.Files, error) {
	r, err := c.PolicyRevision.Query().Where(policyrevision.StatusEQ(policyrevision.StatusACTIVE)).
		Order(ent.Desc(policyrevision.FieldActivatedAt)).First(ctx)
	if ent.IsNotFound(err) {
		return nil, policy.Files{}, fmt.Errorf("the database records no active policy revision: start a server on it first")
	}
	if err != nil {
		return nil, policy.Files{}, err
	}
	fs, err := policyadmin.StoredFiles(r)
	return r, fs, err
}

// activeEngine loads the revision the database records as active into an engine that decides
// as the server does (the server's per-decision deadline), for commands that change leads.
func activeEngine(ctx context.Context, c *ent.Client, log *slog.Logger) (*policy.Engine, *ent.PolicyRevision, error) {
	stored, files, err := activeStored(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	engine := policy.New(policy.Options{Logger: log, Verified: verified})
	if _, err := engine.Load(ctx, files, "db:"+stored.Hash); err != nil {
		return nil, nil, fmt.Errorf("active revision %s: %w", stored.Label, err)
	}
	return engine, stored, nil
}

func policyRequalifyCmd() *cobra.Command {
	var (
		db              dbFlags
		whereJSON       string
		onlyChangedFrom string
	)
	cmd := &cobra.Command{
		Use:   "requalify",
		Short: "Re-qualify the stored leads (all, or those --where-json matches) on the active policy revision",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := audit.CLI(cmd.Context())
			log := logger()
			where, err := parseLeadWhere(whereJSON)
			if err != nil {
				return err
			}
			d, err := db.openExisting(ctx, log)
			if err != nil {
				return err
			}
			defer d.Close()
			engine, stored, err := activeEngine(ctx, d.Client, log)
			if err != nil {
				return err
			}
			// The server's wiring of a move: the funnel rollups follow every transition.
			f := funnel.New(d.Client, d.Dialect)
			d.Client.Lead.Use(f.Rollups().LeadHook())
			lc := lifecycle.New(d.Client, engine, lifecycle.WithLogger(log), lifecycle.WithTransitionHook(f.Rollups().Record))
			// This process works the job as one more replica: a server on the database may take
			// (part of) it too, and either finishes it. Stopping (Ctrl-C) leaves it to the servers.
			je, err := jobs.New(d, jobs.Config{Workers: 1, PollInterval: 200 * time.Millisecond, Logger: log})
			if err != nil {
				return err
			}
			admin := policyadmin.New(policyadmin.Config{Client: d.Client, Jobs: je, Engine: engine, Lifecycle: lc, Logger: log})
			if err := je.Start(ctx); err != nil {
				return err
			}
			defer func() {
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
				defer cancel()
				_ = je.Stop(sctx)
			}()
			job, err := admin.RequalifyLeads(ctx, where, policyadmin.RequalifyOptions{OnlyChangedFrom: onlyChangedFrom})
			if err != nil {
				return err
			}
			var bar *progressbar.ProgressBar
			job, err = admin.WaitJob(ctx, job.ID, func(j *ent.RequalifyJob) {
				if bar == nil && j.Total > 0 {
					bar = progressbar.NewOptions(j.Total, progressbar.OptionSetDescription("re-qualifying"),
						progressbar.OptionSetWriter(cmd.ErrOrStderr()), progressbar.OptionShowCount(),
						progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
				}
				if bar != nil {
					_ = bar.Set(j.Processed)
				}
			})
			if bar != nil {
				_ = bar.Finish()
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "job %d %s on %s (%.12s): %d leads, %d moved, %d failed\n",
				job.ID, job.Status, stored.Label, stored.Hash, job.Processed, job.Moved, job.Failed)
			if job.Status != requalifyjob.StatusSUCCEEDED || job.Failed > 0 {
				return fmt.Errorf("re-qualification job %d %s with %d failed leads", job.ID, job.Status, job.Failed)
			}
			return nil
		},
	}
	db.register(cmd)
	cmd.Flags().StringVar(&whereJSON, "where-json", "", `LeadWhereInput as JSON, e.g. {"source":"WEB_FORM"}`)
	cmd.Flags().StringVar(&onlyChangedFrom, "only-changed-from", "", "requalify only the leads whose outcome the active revision changes compared with this stored revision (hash, prefix or label)")
	return cmd
}
