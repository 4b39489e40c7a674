package policyadmin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/policyrevision"
	"github.com/qualify/qualify/ent/simulation"
	"github.com/qualify/qualify/internal/audit"
	"github.com/qualify/qualify/internal/jobs"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/txn"
)

// simulationBatch is how many leads an async simulation compares between checkpoints by default.
const simulationBatch = 2000

// SimulationArgs is the engine job of a Simulation.
type SimulationArgs struct {
	SimulationID int `json:"simulationId"`
}

// Kind implements river.JobArgs.
func (SimulationArgs) Kind() string { return "simulation" }

// StartSimulation starts a background simulation of the draft over the leads matching where,
// for sets too large for one request. The draft is verified now (a bad one is refused as by
// Simulate) and kept with the simulation, whose row, audit event and engine job are written in
// one transaction. The job compares the leads in batches by ascending id, each batch's partial
// result written with its checkpoint, so that a run stopped anywhere resumes on any replica.
func (s *Service) StartSimulation(ctx context.Context, d PolicyDraftInput, where *ent.LeadWhereInput, sample int) (*ent.Simulation, error) {
	if s.cfg.Jobs == nil {
		return nil, errors.New("policyadmin: no job engine configured")
	}
	draft, err := s.verified(ctx, d)
	if err != nil {
		return nil, err
	}
	active, err := activeOrFail(s.cfg.Engine)
	if err != nil {
		return nil, err
	}
	total, err := s.cfg.Lifecycle.CountLeads(ctx, where)
	if err != nil {
		return nil, err
	}
	files := map[string]string{}
	for p, b := range draft.Files().All() {
		files[p] = string(b)
	}
	var sim *ent.Simulation
	err = txn.Run(ctx, s.cfg.Client, func(ctx context.Context, tx *ent.Client) error {
		create := tx.Simulation.Create().SetDraftHash(draft.Hash()).SetDraftFiles(files).SetActiveHash(active.Hash()).
			SetSample(withDefaults(SimulateOptions{Sample: sample}).Sample).SetRequestedBy(audit.Actor(ctx)).SetTotal(total)
		details := map[string]any{"activeRevision": active.ID(), "leads": total, "async": true}
		if where != nil {
			m, err := whereMap(where)
			if err != nil {
				return err
			}
			create.SetWhere(m)
			details["where"] = m
		}
		if sim, err = create.Save(ctx); err != nil {
			return err
		}
		details["simulationId"] = sim.ID
		if _, err := audit.Record(ctx, tx, audit.Event{Action: audit.PolicySimulate, Target: draft.Hash(), Details: details}); err != nil {
			return err
		}
		res, err := s.cfg.Jobs.Insert(ctx, SimulationArgs{SimulationID: sim.ID}, &river.InsertOpts{MaxAttempts: jobMaxAttempts})
		if err != nil {
			return err
		}
		sim, err = sim.Update().SetRiverJobID(res.Job.ID).Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return sim.Unwrap(), nil
}

// Simulation returns a simulation by id. One whose engine job ended without it (cancelled or
// discarded before it ran: the worker that would record it never runs) is marked so first.
func (s *Service) Simulation(ctx context.Context, id int) (*ent.Simulation, error) {
	sim, err := s.cfg.Client.Simulation.Get(ctx, id)
	if err != nil || s.cfg.Jobs == nil || sim.RiverJobID == nil ||
		(sim.Status != simulation.StatusQUEUED && sim.Status != simulation.StatusRUNNING) {
		return sim, err
	}
	j, err := s.cfg.Jobs.Get(ctx, *sim.RiverJobID)
	if err != nil {
		return sim, nil // the row is what is known; the job may have been cleaned up
	}
	status := map[rivertype.JobState]simulation.Status{
		rivertype.JobStateCancelled: simulation.StatusCANCELLED, rivertype.JobStateDiscarded: simulation.StatusFAILED,
	}[j.State]
	if status == "" {
		return sim, nil
	}
	err = s.cfg.Client.Simulation.Update().
		Where(simulation.ID(id), simulation.StatusIn(simulation.StatusQUEUED, simulation.StatusRUNNING)).
		SetStatus(status).SetFinishedAt(time.Now()).AppendErrors([]string{fmt.Sprintf("job %d %s", j.ID, j.State)}).Exec(ctx)
	if err != nil {
		return nil, err
	}
	return s.cfg.Client.Simulation.Get(ctx, id)
}

// SimulationResult is a simulation's result: nil until it SUCCEEDED.
func SimulationResult(sim *ent.Simulation) (*PolicySimulation, error) {
	if sim.Status != simulation.StatusSUCCEEDED || len(sim.Partial) == 0 {
		return nil, nil
	}
	out := &PolicySimulation{}
	return out, json.Unmarshal(sim.Partial, out)
}

// simulationWorker runs Simulations on the job engine.
type simulationWorker struct {
	river.WorkerDefaults[SimulationArgs]
	s *Service
}

// Work runs (or resumes) the simulation from its stored checkpoint and partial result, batch by
// batch, stopping between batches when the replica stops or the job is cancelled.
func (w *simulationWorker) Work(ctx context.Context, rj *river.Job[SimulationArgs]) error {
	s, c := w.s, w.s.cfg.Client
	sim, err := c.Simulation.Get(ctx, rj.Args.SimulationID)
	if ent.IsNotFound(err) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if sim.Status != simulation.StatusQUEUED && sim.Status != simulation.StatusRUNNING {
		return nil
	}
	fail := func(err error) error { return w.end(ctx, sim.ID, simulation.StatusFAILED, err) }
	active, draft, err := w.revisions(ctx, sim)
	if err != nil {
		if errors.Is(err, errStoredRevision) {
			return fail(river.JobCancel(err))
		}
		return w.failOnLast(ctx, rj, fail, err)
	}
	where, err := whereOf(sim.Where)
	if err != nil {
		return fail(river.JobCancel(fmt.Errorf("stored filter: %w", err)))
	}
	var acc *PolicySimulation
	if len(sim.Partial) > 0 {
		acc = &PolicySimulation{}
		if err := json.Unmarshal(sim.Partial, acc); err != nil {
			return fail(river.JobCancel(fmt.Errorf("stored partial result: %w", err)))
		}
	}
	upd := c.Simulation.UpdateOneID(sim.ID).SetStatus(simulation.StatusRUNNING)
	if sim.StartedAt == nil {
		upd.SetStartedAt(time.Now())
	}
	if err := upd.Exec(ctx); err != nil {
		return err
	}
	checkpoint, processed := sim.Checkpoint, sim.Processed
	for {
		if err := jobs.Interrupted(ctx); err != nil {
			if errors.Is(err, jobs.ErrCancelled) {
				return w.end(ctx, sim.ID, simulation.StatusCANCELLED, err)
			}
			return err
		}
		ids, err := s.cfg.Lifecycle.LeadIDs(ctx, where, checkpoint, s.cfg.SimulationBatch)
		if err != nil {
			return w.failOnLast(ctx, rj, fail, err)
		}
		if len(ids) == 0 {
			if acc == nil {
				acc = combine(nil, nil, sim.Sample, active, draft)
			}
			raw, err := json.Marshal(acc)
			if err != nil {
				return fail(err)
			}
			return c.Simulation.UpdateOneID(sim.ID).SetStatus(simulation.StatusSUCCEEDED).SetPartial(raw).
				SetFinishedAt(time.Now()).Exec(ctx)
		}
		last := ids[len(ids)-1]
		part, err := Compare(ctx, s.cfg.Lifecycle, active, draft, SimulateOptions{Where: idRange(where, checkpoint, last), Sample: sim.Sample})
		if err != nil {
			if serr := jobs.Stopping(ctx); serr != nil {
				return serr // the batch is done again by the next attempt
			}
			return w.failOnLast(ctx, rj, fail, err)
		}
		next := combine(acc, part, sim.Sample, active, draft)
		err = w.commit(ctx, rj.ID, sim.ID, checkpoint, last, processed+len(ids), sim.Total, next)
		if errors.Is(err, errTakenOver) {
			return nil // another run of the job holds the checkpoint and finishes it
		}
		if err != nil {
			if serr := jobs.Stopping(ctx); serr != nil {
				return serr
			}
			return w.failOnLast(ctx, rj, fail, err)
		}
		acc, checkpoint, processed = next, last, processed+len(ids)
	}
}

// commit advances the checkpoint from `from` to `to` with the partial result and progress, and
// reports the progress on the engine job, in one transaction; errTakenOver when another run of
// the simulation moved the checkpoint first.
func (w *simulationWorker) commit(ctx context.Context, riverID int64, id, from, to, processed, total int, acc *PolicySimulation) error {
	raw, err := json.Marshal(acc)
	if err != nil {
		return err
	}
	return txn.Run(ctx, w.s.cfg.Client, func(ctx context.Context, tx *ent.Client) error {
		n, err := tx.Simulation.Update().Where(simulation.ID(id), simulation.Checkpoint(from)).
			SetCheckpoint(to).SetProcessed(processed).SetPartial(raw).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return errTakenOver
		}
		return w.s.cfg.Jobs.Progress(ctx, riverID, map[string]any{"simulationId": id, "processed": processed, "total": total})
	})
}

// idRange narrows where to the leads with from < id <= to: one batch.
func idRange(where *ent.LeadWhereInput, from, to int) *ent.LeadWhereInput {
	r := &ent.LeadWhereInput{IDGT: &from, IDLTE: &to}
	if where == nil {
		return r
	}
	return &ent.LeadWhereInput{And: []*ent.LeadWhereInput{where, r}}
}

// errStoredRevision: a stored draft or compared revision no longer verifies or is gone;
// retrying does not help.
var errStoredRevision = errors.New("simulation: a stored revision cannot be loaded")

// revisions are the compared revisions of sim: the active one it started with (the engine's, or
// recompiled from the revision history once another is active) and its stored draft.
func (w *simulationWorker) revisions(ctx context.Context, sim *ent.Simulation) (active, draft *policy.Revision, err error) {
	load := func(files map[string]string) (*policy.Revision, error) {
		m := make(map[string][]byte, len(files))
		for p, c := range files {
			m[p] = []byte(c)
		}
		fs, err := policy.NewFiles(m)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errStoredRevision, err)
		}
		rev, rep := w.s.cfg.Engine.Verify(ctx, fs)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if rev == nil || !rep.OK() {
			return nil, fmt.Errorf("%w: %v", errStoredRevision, &DraftError{Report: rep})
		}
		return rev, nil
	}
	if draft, err = load(sim.DraftFiles); err != nil {
		return nil, nil, err
	}
	if a := w.s.cfg.Engine.Active(); a != nil && a.Hash() == sim.ActiveHash {
		return a, draft, nil
	}
	r, err := w.s.cfg.Client.PolicyRevision.Query().Where(policyrevision.Hash(sim.ActiveHash)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil, fmt.Errorf("%w: revision %s is not stored", errStoredRevision, sim.ActiveHash)
	}
	if err != nil {
		return nil, nil, err
	}
	active, err = load(r.Files)
	return active, draft, err
}

// failOnLast returns err for the engine to retry the run, and fails the simulation first when
// this was the last attempt.
func (w *simulationWorker) failOnLast(_ context.Context, rj *river.Job[SimulationArgs], fail func(error) error, err error) error {
	if rj.Attempt >= rj.MaxAttempts {
		return fail(err)
	}
	return err
}

// end marks the simulation status (FAILED, CANCELLED) with err among its errors, and returns err.
func (w *simulationWorker) end(ctx context.Context, id int, status simulation.Status, err error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	sim, gerr := w.s.cfg.Client.Simulation.Get(ctx, id)
	if gerr != nil {
		return errors.Join(err, gerr)
	}
	errs := sim.Errors
	if len(errs) < jobMaxErrors {
		errs = append(errs, err.Error())
	}
	if uerr := sim.Update().SetStatus(status).SetFinishedAt(time.Now()).SetErrors(errs).Exec(ctx); uerr != nil {
		return errors.Join(err, uerr)
	}
	w.s.log.Warn("simulation ended", "simulation", id, "status", status, "err", err)
	return err
}
