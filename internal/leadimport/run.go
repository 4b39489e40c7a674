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
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/importmapping"
	"github.com/qualify/qualify/ent/importrun"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/jobs"
	"github.com/qualify/qualify/internal/lifecycle"
)

// Importer creates the leads of rows (lifecycle.Service): MatchImport reads what a batch of rows
// matches at once, ImportLead creates one row's lead with it.
type Importer interface {
	MatchImport(ctx context.Context, rows []lifecycle.ImportRow) (*lifecycle.ImportMatch, error)
	ImportLead(ctx context.Context, in ent.CreateLeadInput, rowKey string, m *lifecycle.ImportMatch) (bool, error)
}

// Service runs imports.
type Service struct {
	client   *ent.Client
	importer Importer
	jobs     *jobs.Engine
}

// New returns the import service. Without UseJobs, Import works each run in-process before it
// returns.
func New(client *ent.Client, importer Importer) *Service {
	return &Service{client: client, importer: importer}
}

// UseJobs makes Import queue its runs as jobs of e (River) and registers their worker: a run
// then survives a restart and resumes from its checkpoint on any replica.
func (s *Service) UseJobs(e *jobs.Engine) {
	s.jobs = e
	jobs.Register(e, &worker{s: s})
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
	// Progress, if set, is called with the rows processed so far (a run worked in-process).
	Progress func(processed, total int)
}

// Import reads raw and imports its rows. A dry run is done at once; a real run is stored with
// its file and queued as a job (UseJobs), whose progress and counts the returned run's row
// shows as batches commit, or worked in-process before Import returns (no job engine). A file
// that cannot be read at all is a validation error on field "file"; bad rows are refused one by
// one and the rest imported.
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
	if !o.DryRun {
		run, err := s.queue(ctx, raw, f, o, mapping, unknown)
		if err != nil || s.jobs != nil {
			return run, err
		}
		return s.Work(ctx, run.ID, o.Progress)
	}
	run, err := s.client.ImportRun.Create().SetFileName(o.FileName).SetDryRun(true).
		SetEncoding(f.Encoding).SetDelimiter(string(f.Delimiter)).SetTotal(len(f.Records)).
		SetUnknownColumns(unknown).Save(ctx)
	if err != nil {
		return nil, err
	}
	rep := newReport(f.Header)
	var created, matched, refused int
	err = s.dryRun(ctx, f, fields, o, func(i int, res result) {
		switch {
		case res.err != nil:
			refused++
			rep.add(f.Lines[i], res.err, f.Records[i])
		case res.created:
			created++
		default:
			matched++
		}
	})
	status := importrun.StatusSUCCEEDED
	if err != nil {
		status = importrun.StatusFAILED
	}
	// The run's record is written even when ctx ended, so a stopped dry run says how far it got.
	out, uerr := s.client.ImportRun.UpdateOneID(run.ID).SetStatus(status).
		SetProcessed(created + matched + refused).SetCreated(created).SetMatched(matched).SetRefused(refused).
		SetErrorCsv(rep.String()).SetFinishedAt(time.Now().UTC()).Save(context.WithoutCancel(ctx))
	if err != nil {
		return out, err
	}
	return out, uerr
}

type result struct {
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

// parsed is a row read from its record: its lead input and key, or why it is refused.
type parsed struct {
	lifecycle.ImportRow
	err *rowError
}

// parse reads rows [lo, hi) and what their valid rows match (one query each for the batch).
func (s *Service) parse(ctx context.Context, f *File, fields []string, o Options, lo, hi int) ([]parsed, *lifecycle.ImportMatch, error) {
	out := make([]parsed, 0, hi-lo)
	valid := make([]lifecycle.ImportRow, 0, hi-lo)
	for i := lo; i < hi; i++ {
		in, key, rerr := row(f.Header, fields, f.Records[i], o.DefaultSource)
		p := parsed{ImportRow: lifecycle.ImportRow{In: in, Key: key}, err: rerr}
		if rerr == nil {
			valid = append(valid, p.ImportRow)
		}
		out = append(out, p)
	}
	m, err := s.importer.MatchImport(ctx, valid)
	return out, m, err
}

// one imports a parsed row. The row's own faults (validation, policy refusals, conflicts)
// refuse it; an error of the system (database down) stops the import.
func (s *Service) one(ctx context.Context, p parsed, m *lifecycle.ImportMatch) (result, error) {
	if p.err != nil {
		return result{err: p.err}, nil
	}
	created, err := s.importer.ImportLead(ctx, p.In, p.Key, m)
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
