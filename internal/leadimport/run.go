// Package leadimport imports leads from CSV files (trade-fair lists, directories, purchased
// lists): it detects the encoding and delimiter, maps columns by header (with a saved, reusable
// mapping), validates each row with the API's own normalization, and creates each lead through
// the lifecycle (matching accounts by domain and contacts by email, qualified with trigger
// IMPORT), keyed by a row key so that importing a file again creates nothing. A dry run reports
// what would happen; every refused row is in a CSV error report.
package leadimport

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/importmapping"
	"github.com/qualify/qualify/ent/importrun"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/txn"
)

// Importer creates one lead of a row (lifecycle.Service.ImportLead).
type Importer interface {
	ImportLead(ctx context.Context, in ent.CreateLeadInput, rowKey string) (*ent.Lead, bool, error)
}

// Service runs imports.
type Service struct {
	client   *ent.Client
	importer Importer
}

// New returns the import service.
func New(client *ent.Client, importer Importer) *Service {
	return &Service{client: client, importer: importer}
}

// Options of one import.
type Options struct {
	FileName string
	DryRun   bool
	// Mapping is the name of a saved mapping; Columns adds to or overrides it (header -> field).
	Mapping string
	Columns map[string]string
	// DefaultSource is the source of rows without one (default TRADE_FAIR).
	DefaultSource lead.Source
	// Workers create leads concurrently (default 1; PostgreSQL profits from more).
	Workers int
	// Progress, if set, is called with the rows processed so far.
	Progress func(processed, total int)
}

// Import reads raw and imports its rows, recording the run (counts, progress, error report).
// A file that cannot be read at all is a validation error on field "file"; bad rows are refused
// one by one and the rest imported.
func (s *Service) Import(ctx context.Context, raw []byte, o Options) (*ent.ImportRun, error) {
	f, err := Parse(raw)
	if err != nil {
		return nil, domainerr.Validation("file", err.Error())
	}
	mapping, err := s.mapping(ctx, o)
	if err != nil {
		return nil, err
	}
	if o.DefaultSource == "" {
		o.DefaultSource = lead.SourceTRADE_FAIR
	} else if lead.SourceValidator(o.DefaultSource) != nil {
		return nil, domainerr.Validation("defaultSource", "unknown source")
	}
	fields, unknown := columns(f.Header, mapping)
	run, err := s.client.ImportRun.Create().SetFileName(o.FileName).SetDryRun(o.DryRun).
		SetEncoding(f.Encoding).SetDelimiter(string(f.Delimiter)).SetTotal(len(f.Records)).
		SetUnknownColumns(unknown).Save(ctx)
	if err != nil {
		return nil, err
	}
	rep := newReport(f.Header)
	var created, matched, refused int
	outcome := func(i int, res result) {
		switch {
		case res.err != nil:
			refused++
			rep.add(f.Lines[i], res.err, f.Records[i])
		case res.created:
			created++
		default:
			matched++
		}
	}
	if o.DryRun {
		err = s.dryRun(ctx, f, fields, o, outcome)
	} else {
		err = s.apply(ctx, f, fields, o, run.ID, outcome)
	}
	status := importrun.StatusSUCCEEDED
	if err != nil {
		status = importrun.StatusFAILED
	}
	// The run's record is written even when ctx ended, so a stopped import says how far it got.
	wctx := context.WithoutCancel(ctx)
	out, uerr := s.client.ImportRun.UpdateOneID(run.ID).SetStatus(status).
		SetProcessed(created + matched + refused).SetCreated(created).SetMatched(matched).SetRefused(refused).
		SetErrorCsv(rep.String()).SetFinishedAt(time.Now().UTC()).Save(wctx)
	if err != nil {
		return out, err
	}
	return out, uerr
}

type result struct {
	done    bool
	created bool
	err     *rowError
}

// dryRun validates every row and looks its key up, writing nothing; a key seen earlier in the
// file counts as matched, as the real import would find it.
func (s *Service) dryRun(ctx context.Context, f *File, fields []string, o Options, outcome func(int, result)) error {
	seen := map[string]bool{}
	for i, rec := range f.Records {
		_, key, rerr := row(f.Header, fields, rec, o.DefaultSource)
		if rerr != nil {
			outcome(i, result{err: rerr})
			continue
		}
		exists := seen[key]
		if !exists {
			n, err := s.client.Lead.Query().Where(lead.IdempotencyScope(lifecycle.ImportScope), lead.IdempotencyKey(key)).Exist(ctx)
			if err != nil {
				return err
			}
			exists = n
		}
		seen[key] = true
		outcome(i, result{created: !exists})
		if o.Progress != nil {
			o.Progress(i+1, len(f.Records))
		}
	}
	return nil
}

// batchSize is how many rows one transaction imports: one commit (one fsync) for them all,
// each row in a savepoint of its own so that a bad row is refused alone.
const batchSize = 200

// apply imports the rows in batches of batchSize, o.Workers batches in parallel, saving
// progress after each batch.
func (s *Service) apply(ctx context.Context, f *File, fields []string, o Options, runID int, outcome func(int, result)) error {
	workers := max(o.Workers, 1)
	results := make([]result, len(f.Records))
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		done     int
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range next {
				hi := min(lo+batchSize, len(f.Records))
				err := s.batch(ctx, f, fields, o, results[lo:hi], lo)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if err == nil {
					done += hi - lo
				}
				d := done
				mu.Unlock()
				if err == nil {
					_ = s.client.ImportRun.UpdateOneID(runID).SetProcessed(d).Exec(ctx)
					if o.Progress != nil {
						o.Progress(d, len(f.Records))
					}
				}
			}
		}()
	}
feed:
	for lo := 0; lo < len(f.Records); lo += batchSize {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop {
			break
		}
		select {
		case next <- lo:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	for i, res := range results {
		if res.done {
			outcome(i, res)
		}
	}
	return firstErr
}

// batch imports the rows lo… into out in one transaction (txn.Batch: each lead's own
// transaction is a savepoint of it). An error of the system rolls the whole batch back and
// leaves out without a done row; the transaction is retried whole on a transient failure.
func (s *Service) batch(ctx context.Context, f *File, fields []string, o Options, out []result, lo int) error {
	err := txn.Batch(ctx, s.client, func(ctx context.Context, _ *ent.Client) error {
		for i := range out {
			res, err := s.one(ctx, f, fields, o, lo+i)
			if err != nil {
				return err
			}
			res.done = true
			out[i] = res
		}
		return nil
	})
	if err != nil {
		clear(out) // rolled back: no row of the batch was imported
	}
	return err
}

// one imports row i. The row's own faults (validation, policy refusals, conflicts) refuse it;
// an error of the system (database down) stops the import.
func (s *Service) one(ctx context.Context, f *File, fields []string, o Options, i int) (result, error) {
	in, key, rerr := row(f.Header, fields, f.Records[i], o.DefaultSource)
	if rerr != nil {
		return result{err: rerr}, nil
	}
	_, created, err := s.importer.ImportLead(ctx, in, key)
	if err == nil {
		return result{created: created}, nil
	}
	var coded interface {
		Code() domainerr.Code
	}
	if errors.As(err, &coded) && coded.Code() != domainerr.CodeUnavailable {
		re := &rowError{Code: string(coded.Code()), Reason: err.Error()}
		var v *domainerr.ValidationError
		if errors.As(err, &v) {
			re.Reason = v.Reason
		}
		return result{err: re}, nil
	}
	return result{}, err
}

// mapping is the saved mapping named by o with o.Columns over it.
func (s *Service) mapping(ctx context.Context, o Options) (map[string]string, error) {
	m := map[string]string{}
	if o.Mapping != "" {
		saved, err := s.client.ImportMapping.Query().Where(importmapping.Name(o.Mapping)).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, domainerr.Validation("mapping", "no saved mapping "+strconv.Quote(o.Mapping))
		} else if err != nil {
			return nil, err
		}
		for h, f := range saved.Columns {
			m[h] = f
		}
	}
	for h, f := range o.Columns {
		m[h] = f
	}
	for h, f := range m {
		if !ValidField(f) {
			return nil, domainerr.Validation("columns", "column "+strconv.Quote(h)+" maps to unknown field "+strconv.Quote(f))
		}
	}
	return m, nil
}

// SaveMapping stores (or replaces) a named mapping of headers to fields.
func (s *Service) SaveMapping(ctx context.Context, name string, columns map[string]string) (*ent.ImportMapping, error) {
	if name == "" {
		return nil, domainerr.Validation("name", "must not be blank")
	}
	for h, f := range columns {
		if !ValidField(f) {
			return nil, domainerr.Validation("columns", "column "+strconv.Quote(h)+" maps to unknown field "+strconv.Quote(f))
		}
	}
	id, err := s.client.ImportMapping.Create().SetName(name).SetColumns(columns).
		OnConflictColumns(importmapping.FieldName).UpdateNewValues().ID(ctx)
	if err != nil {
		return nil, err
	}
	return s.client.ImportMapping.Get(ctx, id)
}

// report is the per-row error CSV: row (line in the file), column, code, reason, then the row.
type report struct {
	buf bytes.Buffer
	w   *csv.Writer
}

func newReport(header []string) *report {
	r := &report{}
	r.w = csv.NewWriter(&r.buf)
	_ = r.w.Write(append([]string{"row", "column", "code", "reason"}, header...))
	return r
}

func (r *report) add(line int, e *rowError, rec []string) {
	_ = r.w.Write(append([]string{strconv.Itoa(line), e.Column, e.Code, e.Reason}, rec...))
}

func (r *report) String() string {
	r.w.Flush()
	return r.buf.String()
}
