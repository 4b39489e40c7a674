package policyadmin_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// simulationResult is every field of a PolicySimulation but its duration.
const simulationResult = `fragment L on SimulatedLead { leadId currentStage activeOutcome draftOutcome oldStage newStage
  oldScore newScore oldGrade newGrade oldTemperature newTemperature oldReasons { code } newReasons { code } }
fragment R on PolicySimulation { activeRevision draftRevision draftHash leads stageChanged recommendationChanged
  alreadyStale outcomeChanged changedOnlyMoves protected protectedSample { ...L }
  requalifyMatrix { stored active draft outcome count sampleLeadIds } gradeChanged temperatureChanged errors firstError
  stageMatrix { from to count } funnel { stage kind reachedNow reachedDraft } mqlToSqlNow mqlToSqlDraft
  scoreHistogram { min max before after } sample { ...L } }`

const simFields = `id status total processed requestedBy draftHash jobId startedAt finishedAt errors result { ...R }`

type asyncSim struct {
	ID, Status, RequestedBy, DraftHash string
	JobID                              *string
	Total, Processed                   int
	StartedAt, FinishedAt              *time.Time
	Errors                             []string
	Result                             map[string]any
}

func startSimulation(t *testing.T, api *apitest.Instance, draft, where map[string]any) asyncSim {
	t.Helper()
	var out struct{ StartSimulation asyncSim }
	api.Data(t, `mutation($d: PolicyDraftInput!, $w: LeadWhereInput) { startSimulation(draft: $d, where: $w, sample: 7) { `+
		simFields+` } } `+simulationResult, map[string]any{"d": draft, "w": where}, &out)
	return out.StartSimulation
}

func readSimulation(t *testing.T, api *apitest.Instance, id string) asyncSim {
	t.Helper()
	var out struct{ Simulation asyncSim }
	api.Data(t, `query($id: ID!) { simulation(id: $id) { `+simFields+` } } `+simulationResult, map[string]any{"id": id}, &out)
	return out.Simulation
}

// waitSimulation polls until the simulation ends, or, with atLeast > 0, until it has processed
// that many leads (failing if it ends first).
func waitSimulation(t *testing.T, api *apitest.Instance, id string, atLeast int) asyncSim {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		s := readSimulation(t, api, id)
		ended := s.Status != "QUEUED" && s.Status != "RUNNING"
		switch {
		case atLeast == 0 && ended:
			return s
		case atLeast > 0 && ended:
			t.Fatalf("the simulation ended before it could be interrupted: %+v", s)
		case atLeast > 0 && s.Processed >= atLeast:
			return s
		case time.Now().After(deadline):
			t.Fatalf("simulation still %s at %d/%d after 3 minutes", s.Status, s.Processed, s.Total)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncResult is simulatePolicy's answer for the same draft, where and sample.
func syncResult(t *testing.T, api *apitest.Instance, draft, where map[string]any) map[string]any {
	t.Helper()
	var out struct{ SimulatePolicy map[string]any }
	api.Data(t, `query($d: PolicyDraftInput!, $w: LeadWhereInput) { simulatePolicy(draft: $d, where: $w, sample: 7) { ...R } } `+
		simulationResult, map[string]any{"d": draft, "w": where}, &out)
	return out.SimulatePolicy
}

func sameResult(t *testing.T, async, sync map[string]any) {
	t.Helper()
	if !reflect.DeepEqual(async, sync) {
		a, _ := json.Marshal(async)
		s, _ := json.Marshal(sync)
		t.Fatalf("the background simulation differs from simulatePolicy:\nasync %s\nsync  %s", a, s)
	}
	if sync["leads"].(float64) == 0 || len(sync["requalifyMatrix"].([]any)) == 0 {
		t.Fatalf("an empty simulation proves nothing: %v", sync)
	}
}

// startSimulation runs the draft in the background over every matching lead, in batches with
// checkpoints, and its result, fetched later by simulation(id) and node(id), is simulatePolicy's:
// counts, matrices, funnel, histogram and samples. Only revops and admin see it.
func TestStartSimulationEqualsSimulatePolicy(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api, dir := seeded(t, db, 300, func(c *app.Config) { c.SimulationBatch = 40 })
		draft := lowerMQL(t, dir)
		where := map[string]any{"hasAccount": true}
		revops := api.As(t, "revops", "", "")
		started := startSimulation(t, revops, draft, where)
		if started.Total == 0 || started.Result != nil || started.JobID == nil || started.RequestedBy == "" {
			t.Fatalf("started: %+v", started)
		}
		done := waitSimulation(t, revops, started.ID, 0)
		if done.Status != "SUCCEEDED" || done.Processed != done.Total || done.StartedAt == nil || done.FinishedAt == nil {
			t.Fatalf("finished: %+v", done)
		}
		sameResult(t, done.Result, syncResult(t, revops, draft, where))

		var n struct{ Node struct{ Status string } }
		revops.Data(t, `query($id: ID!) { node(id: $id) { ... on Simulation { status } } }`, map[string]any{"id": done.ID}, &n)
		if n.Node.Status != "SUCCEEDED" {
			t.Errorf("node(id) = %+v", n.Node)
		}
		// The engine's job lists as a simulation with its progress.
		var jl struct {
			Jobs struct{ Edges []struct{ Node jobRow } }
		}
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
			revops.Data(t, `{ jobs(kinds: ["simulation"]) { edges { node { `+jobRowFields+` } } } }`, nil, &jl)
			if len(jl.Jobs.Edges) != 1 || jl.Jobs.Edges[0].Node.State != "RUNNING" || time.Now().After(deadline) {
				break // the engine completes its job just after the simulation's row says SUCCEEDED
			}
		}
		if len(jl.Jobs.Edges) != 1 || jl.Jobs.Edges[0].Node.ID != *done.JobID || jl.Jobs.Edges[0].Node.State != "COMPLETED" ||
			jl.Jobs.Edges[0].Node.Progress["processed"] != float64(done.Total) {
			t.Errorf("jobs(kinds: simulation) = %+v", jl.Jobs.Edges)
		}
		// Audited as a simulation, with the simulation's id.
		var audit struct {
			AuditEvents struct {
				Edges []struct {
					Node struct {
						Target  string
						Details map[string]any
					}
				}
			}
		}
		api.Data(t, `{ auditEvents(where: {action: POLICY_SIMULATE}) { edges { node { target details } } } }`, nil, &audit)
		found := false
		for _, e := range audit.AuditEvents.Edges {
			found = found || (e.Node.Target == done.DraftHash && e.Node.Details["simulationId"] != nil)
		}
		if !found {
			t.Errorf("no POLICY_SIMULATE event for the simulation: %+v", audit.AuditEvents.Edges)
		}

		bdr := api.As(t, "bdr", "emea-bdr", "")
		bdr.Fail(t, "FORBIDDEN", `query($id: ID!) { simulation(id: $id) { id } }`, map[string]any{"id": done.ID})
		bdr.Fail(t, "FORBIDDEN", `mutation($d: PolicyDraftInput!) { startSimulation(draft: $d) { id } }`, map[string]any{"d": draft})
		r := bdr.Do(t, `query($id: ID!) { node(id: $id) { ... on Simulation { status } } }`, map[string]any{"id": done.ID})
		if string(r.Data) != `{"node":null}` {
			t.Errorf("a BDR reads the simulation through node(id): %s %+v", r.Data, r.Errors)
		}
		// A draft that does not verify is refused at once, as by simulatePolicy.
		revops.Fail(t, "VALIDATION_FAILED", `mutation($d: PolicyDraftInput!) { startSimulation(draft: $d) { id } }`,
			map[string]any{"d": broken(t, dir)})
	})
}

// A simulation whose app instance stops in the middle resumes on a second instance from its
// last checkpoint, and its result is the one simulatePolicy gives.
func TestSimulationResumesOnAnotherInstance(t *testing.T) {
	eachReplicaDB(t, func(t *testing.T, db *store.DB, url, file string) {
		ctx := context.Background()
		seedLeads(t, db, 300)
		a := replica(t, url, file, 0)
		draft := lowerMQL(t, apitest.PoliciesDir())
		started := startSimulation(t, a, draft, nil)
		mid := waitSimulation(t, a, started.ID, 3*resumeBatch)
		stop, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := a.App.Jobs.Stop(stop); err != nil {
			t.Fatal(err)
		}
		stopped := readSimulation(t, a, started.ID)
		if stopped.Status != "RUNNING" || stopped.Processed < mid.Processed || stopped.Processed >= stopped.Total {
			t.Fatalf("after the stop the simulation is %+v", stopped)
		}
		b := replica(t, url, file, 0)
		done := waitSimulation(t, b, started.ID, 0)
		if done.Status != "SUCCEEDED" || done.Processed != done.Total {
			t.Fatalf("resumed simulation: %+v", done)
		}
		sameResult(t, done.Result, syncResult(t, b, draft, nil))
	})
}

// A simulation whose job is cancelled before any replica ran it reads CANCELLED, with no result.
func TestSimulationCancelledBeforeItRuns(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api, dir := seeded(t, db, 30)
		stop, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := api.App.Jobs.Stop(stop); err != nil { // nothing works the job
			t.Fatal(err)
		}
		started := startSimulation(t, api, lowerMQL(t, dir), nil)
		var c struct{ CancelJob jobRow }
		api.Data(t, `mutation($id: ID!) { cancelJob(id: $id) { id state } }`, map[string]any{"id": *started.JobID}, &c)
		if c.CancelJob.State != "CANCELLED" {
			t.Fatalf("cancelJob: %+v", c.CancelJob)
		}
		got := readSimulation(t, api, started.ID)
		if got.Status != "CANCELLED" || got.Result != nil || got.FinishedAt == nil {
			t.Fatalf("the cancelled simulation: %+v", got)
		}
	})
}
