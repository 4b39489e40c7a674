package leadimport_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/qualify/qualify/ent/auditevent"
	"github.com/qualify/qualify/ent/decisionlog"
	"github.com/qualify/qualify/ent/importrun"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/principal"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// An import run as a job acts as the user who started it: the run records them, the leads'
// first history rows (trigger IMPORT) name them as actor, the qualification decisions name
// them as caller, and the start is audited as theirs.
func TestImportActsAsTheUserWhoStartedIt(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		uid := api.User(t, "Rita", "REVOPS", "revops")
		revops := api.As(t, "revops", "revops", uid)
		raw := "email;last name;source\nrita.1@one.example;One;directory\nrita.2@two.example;Two;directory\n"
		run := uploadCSV(t, revops, "leads.csv", []byte(raw), false)
		if run.Created != 2 {
			t.Fatalf("created %d, want 2", run.Created)
		}
		ctx := principal.With(context.Background(), principal.System)
		id, _ := strconv.Atoi(uid)
		r := db.Client.ImportRun.Query().Where(importrun.DryRun(false)).OnlyX(ctx)
		if r.StartedByID == nil || *r.StartedByID != id || r.StartedByRole != "revops" {
			t.Errorf("the run was started by %v (%q), want user %d (revops)", r.StartedByID, r.StartedByRole, id)
		}
		trs := db.Client.StageTransition.Query().Where(stagetransition.TriggerEQ(stagetransition.TriggerIMPORT)).AllX(ctx)
		if len(trs) != 2 {
			t.Fatalf("%d IMPORT transitions, want 2", len(trs))
		}
		for _, tr := range trs {
			if tr.ActorID == nil || *tr.ActorID != id || tr.ActorKind != stagetransition.ActorKindUSER {
				t.Errorf("lead %d entered by %v (%s), want user %d", tr.LeadID, tr.ActorID, tr.ActorKind, id)
			}
		}
		callers := db.Client.DecisionLog.Query().Where(decisionlog.Trigger("import")).Select(decisionlog.FieldCaller).StringsX(ctx)
		if len(callers) != 2 {
			t.Fatalf("%d import decisions, want 2", len(callers))
		}
		for _, c := range callers {
			if c != "user:"+uid {
				t.Errorf("an import decision's caller is %q, want user:%s", c, uid)
			}
		}
		ev, err := db.Client.AuditEvent.Query().Where(auditevent.ActionEQ(auditevent.ActionIMPORT_START)).Only(ctx)
		if err != nil {
			t.Fatalf("the import's start is not audited: %v", err)
		}
		if ev.ActorUserID == nil || *ev.ActorUserID != id {
			t.Errorf("the import's start is audited as %v, want user %d", ev.ActorUserID, id)
		}
	})
}
