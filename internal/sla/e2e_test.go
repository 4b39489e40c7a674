package sla_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/qualify/qualify/ent/leadescalation"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// clock is the controllable time of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// Monday 2026-11-30 10:00 in Berlin, the bundle's time zone; mql_acceptance allows 2 business days.
var monday = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

const reportQuery = `query($p: FunnelPeriod!, $by: SlaGroupBy) { slaReport(period: $p, groupBy: $by) {
  rules { key stage businessDays action }
  groups { ownerId ownerName team slas { rule stage entered met breached open medianDaysToLeave p90DaysToLeave } } } }`

type statsJSON struct {
	Rule, Stage                       string
	Entered, Met, Breached, Open      int
	MedianDaysToLeave, P90DaysToLeave *float64
}

type groupJSON struct {
	OwnerID, OwnerName, Team *string
	SLAs                     []statsJSON `json:"slas"`
}

type reportJSON struct {
	SLAReport struct {
		Rules []struct {
			Key, Stage, Action string
			BusinessDays       int
		}
		Groups []groupJSON
	}
}

// world: a manager and two BDRs, four MQLs (Berlin calendar, deadline of a Monday MQL is
// Thursday 00:00 local, 2026-12-02T23:00Z):
//
//	l1 Ben  entered Mon, accepted Tue (1 day)          met (then Mia's lead)
//	l2 Ben  entered Mon, never accepted                breached (escalated, flags Mia)
//	l3 Wen  entered Mon, accepted Thu 09:00Z (3 days)  breached (escalated: Wen has no manager)
//	l4 Wen  entered Wed, due Sat 00:00 local           open
type world struct {
	api            *apitest.Instance
	app            *app.App
	clock          *clock
	mia, ben, wen  string
	l1, l2, l3, l4 string
}

func build(t *testing.T, db *store.DB) *world {
	c := &clock{t: monday}
	api := apitest.Start(t, db, func(cfg *app.Config) { cfg.Clock = c.Now; cfg.Sweep.Interval = -1 })
	w := &world{api: api, app: api.App, clock: c}
	w.mia = api.User(t, "Mia", "AE", "east")
	w.ben = api.User(t, "Ben", "BDR", "east")
	w.wen = api.User(t, "Wen", "BDR", "west")
	var upd struct {
		UpdateUser struct{ Manager *struct{ ID string } }
	}
	api.Data(t, `mutation($id: ID!, $m: ID!) { updateUser(id: $id, input: {managerID: $m}) { manager { id } } }`,
		map[string]any{"id": w.ben, "m": w.mia}, &upd)
	if upd.UpdateUser.Manager == nil || upd.UpdateUser.Manager.ID != w.mia {
		t.Fatalf("Ben's manager: %+v", upd.UpdateUser.Manager)
	}
	// A manager chain back to oneself is refused with the field and why.
	e := api.Fail(t, "VALIDATION_FAILED", `mutation($id: ID!, $m: ID!) { updateUser(id: $id, input: {managerID: $m}) { id } }`,
		map[string]any{"id": w.mia, "m": w.ben})
	if e.Extensions["field"] == nil {
		t.Errorf("cycle refused without a field: %+v", e)
	}
	w.l1 = w.mql(t, w.ben)
	w.l2 = w.mql(t, w.ben)
	w.l3 = w.mql(t, w.wen)
	c.Set(monday.AddDate(0, 0, 1))
	w.accept(t, w.l1)
	c.Set(monday.AddDate(0, 0, 2))
	w.l4 = w.mql(t, w.wen)
	// Mia takes l1 over: its stays stay Ben's, the owner when each began.
	w.api.Data(t, `mutation($l: ID!, $o: ID!) { updateLead(id: $l, input: {ownerID: $o}) { id } }`,
		map[string]any{"l": w.l1, "o": w.mia}, &struct{}{})
	return w
}

// mql creates a lead owned by owner with a form fill now: the qualification makes it an MQL.
func (w *world) mql(t *testing.T, owner string) string {
	t.Helper()
	// A manufacturer of 50 people: a fit an SAL accepts.
	var a struct{ CreateAccount struct{ ID string } }
	w.api.Data(t, `mutation { createAccount(input: {name: "Acme", industry: "manufacturing", employeeCount: 50}) { id } }`, nil, &a)
	var l struct{ CreateLead struct{ ID string } }
	w.api.Data(t, `mutation($o: ID!, $a: ID!) { createLead(input: {source: WEB_FORM, ownerID: $o, accountID: $a}) { id } }`,
		map[string]any{"o": owner, "a": a.CreateAccount.ID}, &l)
	id := l.CreateLead.ID
	w.api.Data(t, `mutation($l: ID!, $at: Time!) { createActivity(input: {kind: FORM_FILL, leadID: $l, occurredAt: $at}) { id } }`,
		map[string]any{"l": id, "at": w.clock.Now()}, &struct{}{})
	var got struct {
		Node struct{ Stage struct{ Key string } }
	}
	w.api.Data(t, `query($id: ID!) { node(id: $id) { ... on Lead { stage { key } } } }`, map[string]any{"id": id}, &got)
	if got.Node.Stage.Key != "mql" {
		t.Fatalf("lead %s at %q, want mql", id, got.Node.Stage.Key)
	}
	return id
}

func (w *world) accept(t *testing.T, id string) {
	t.Helper()
	w.api.Data(t, `mutation($l: ID!) { transitionLead(input: {leadId: $l, toStage: "sal"}) { lead { id } } }`, map[string]any{"l": id}, &struct{}{})
}

func (w *world) sweep(t *testing.T) {
	t.Helper()
	if _, err := w.app.Sweeper.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}

func TestSLAReportAndManagerEscalation(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		w := build(t, db)
		due := time.Date(2026, 12, 2, 23, 0, 0, 0, time.UTC)
		// Two sweeps past the deadline, one of them doubled: each breach is escalated once.
		w.clock.Set(due.Add(9 * time.Hour))
		w.sweep(t)
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { w.sweep(t) })
		}
		wg.Wait()
		w.clock.Set(due.Add(10 * time.Hour))
		w.accept(t, w.l3)
		w.clock.Set(due.Add(11 * time.Hour))

		checkEscalations(t, w, db)
		checkReport(t, w)
	})
}

func checkEscalations(t *testing.T, w *world, db *store.DB) {
	ctx := context.Background()
	rows, err := db.Client.LeadEscalation.Query().Order(leadescalation.ByLeadID()).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d escalations, want 2 (l2, l3): %+v", len(rows), rows)
	}
	mia, _ := strconv.Atoi(w.mia)
	if l2 := rows[0]; strconv.Itoa(l2.LeadID) != w.l2 || l2.FlaggedUserID == nil || *l2.FlaggedUserID != mia || l2.FlagNote != "" {
		t.Errorf("l2's escalation: %+v, want Mia flagged", l2)
	}
	if l3 := rows[1]; strconv.Itoa(l3.LeadID) != w.l3 || l3.FlaggedUserID != nil || l3.FlagNote != "owner Wen has no manager" {
		t.Errorf("l3's escalation: %+v, want no one flagged and why", l3)
	}

	const mine = `query($open: Boolean) { viewer { escalations(first: 10, open: $open) { totalCount edges { node {
  id rule stage action dueAt flagNote acknowledgedAt acknowledgedBy { id } lead { id } owner { name } flaggedUser { id } } } } } }`
	type conn struct {
		Viewer struct {
			Escalations struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						ID, Rule, Stage, Action string
						DueAt                   time.Time
						AcknowledgedAt          *time.Time
						AcknowledgedBy          *struct{ ID string }
						Lead                    struct{ ID string }
						Owner                   struct{ Name string }
						FlaggedUser             struct{ ID string }
					}
				}
			}
		}
	}
	asMia := w.api.As(t, "ae", "east", w.mia)
	var got conn
	asMia.Data(t, mine, nil, &got)
	if got.Viewer.Escalations.TotalCount != 1 {
		t.Fatalf("Mia sees %d escalations, want 1", got.Viewer.Escalations.TotalCount)
	}
	n := got.Viewer.Escalations.Edges[0].Node
	if n.Lead.ID != w.l2 || n.Rule != "mql_acceptance" || n.Action != "FLAG_MANAGER" || !n.DueAt.Equal(due()) ||
		n.Owner.Name != "Ben" || n.FlaggedUser.ID != w.mia || n.AcknowledgedAt != nil {
		t.Errorf("Mia's escalation: %+v", n)
	}
	var none conn
	w.api.As(t, "bdr", "west", w.wen).Data(t, mine, nil, &none)
	if none.Viewer.Escalations.TotalCount != 0 {
		t.Errorf("Wen sees %d escalations, want 0", none.Viewer.Escalations.TotalCount)
	}
	const ack = `mutation($id: ID!) { acknowledgeEscalation(id: $id) { acknowledgedAt acknowledgedBy { id } } }`
	w.api.As(t, "bdr", "east", w.ben).Fail(t, "FORBIDDEN", ack, map[string]any{"id": n.ID})
	var a struct {
		AcknowledgeEscalation struct {
			AcknowledgedAt *time.Time
			AcknowledgedBy *struct{ ID string }
		}
	}
	asMia.Data(t, ack, map[string]any{"id": n.ID}, &a)
	if at := a.AcknowledgeEscalation.AcknowledgedAt; at == nil || !at.Equal(w.clock.Now()) || a.AcknowledgeEscalation.AcknowledgedBy.ID != w.mia {
		t.Errorf("acknowledged: %+v", a.AcknowledgeEscalation)
	}
	w.clock.Set(w.clock.Now().Add(time.Minute))
	asMia.Data(t, ack, map[string]any{"id": n.ID}, &a)
	if at := a.AcknowledgeEscalation.AcknowledgedAt; at == nil || !at.Equal(w.clock.Now().Add(-time.Minute)) {
		t.Errorf("a second acknowledgement moved the first: %v", at)
	}
	var open conn
	asMia.Data(t, mine, map[string]any{"open": true}, &open)
	if open.Viewer.Escalations.TotalCount != 0 {
		t.Errorf("%d open escalations after the acknowledgement, want 0", open.Viewer.Escalations.TotalCount)
	}
}

func due() time.Time { return time.Date(2026, 12, 2, 23, 0, 0, 0, time.UTC) }

func f(v float64) *float64 { return &v }

func checkReport(t *testing.T, w *world) {
	report := func(api *apitest.Instance, by any) reportJSON {
		var r reportJSON
		api.Data(t, reportQuery, map[string]any{"p": map[string]any{"from": monday.Truncate(24 * time.Hour), "to": time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}, "by": by}, &r)
		return r
	}
	// Ungrouped, by hand: mql_acceptance 4 entered, l1 met, l2 and l3 breached, l4 open; days to
	// leave 1 (l1) and 3 (l3): median 2, p90 1 + 0.9 * 2 = 2.8. sal_qualification: l1, l3 open.
	all := report(w.api, nil)
	if len(all.SLAReport.Rules) != 2 || all.SLAReport.Rules[0].Key != "mql_acceptance" || all.SLAReport.Rules[0].BusinessDays != 2 {
		t.Fatalf("rules: %+v", all.SLAReport.Rules)
	}
	want := []groupJSON{{SLAs: []statsJSON{
		{Rule: "mql_acceptance", Stage: "mql", Entered: 4, Met: 1, Breached: 2, Open: 1, MedianDaysToLeave: f(2), P90DaysToLeave: f(2.8)},
		{Rule: "sal_qualification", Stage: "sal", Entered: 2, Open: 2},
	}}}
	compare(t, "all", all.SLAReport.Groups, want)

	ben, wen := "Ben", "Wen"
	benGroup := groupJSON{OwnerID: &w.ben, OwnerName: &ben, SLAs: []statsJSON{
		{Rule: "mql_acceptance", Stage: "mql", Entered: 2, Met: 1, Breached: 1, MedianDaysToLeave: f(1), P90DaysToLeave: f(1)},
		{Rule: "sal_qualification", Stage: "sal", Entered: 1, Open: 1},
	}}
	wenGroup := groupJSON{OwnerID: &w.wen, OwnerName: &wen, SLAs: []statsJSON{
		{Rule: "mql_acceptance", Stage: "mql", Entered: 2, Breached: 1, Open: 1, MedianDaysToLeave: f(3), P90DaysToLeave: f(3)},
		{Rule: "sal_qualification", Stage: "sal", Entered: 1, Open: 1},
	}}
	byOwner := report(w.api, "OWNER")
	compare(t, "by owner", byOwner.SLAReport.Groups, []groupJSON{benGroup, wenGroup})
	east, west := "east", "west"
	byTeam := report(w.api, "TEAM")
	eastG, westG := benGroup, wenGroup
	eastG.OwnerID, eastG.OwnerName, eastG.Team = nil, nil, &east
	westG.OwnerID, westG.OwnerName, westG.Team = nil, nil, &west
	compare(t, "by team", byTeam.SLAReport.Groups, []groupJSON{eastG, westG})

	// A BDR sees the stays of the leads it may see: Wen (west) only Wen's.
	compare(t, "Wen", report(w.api.As(t, "bdr", "west", w.wen), "OWNER").SLAReport.Groups, []groupJSON{wenGroup})

	// The CSV is the GraphQL answer.
	req, _ := http.NewRequest(http.MethodGet, w.api.Server.URL+"/export/sla.csv?from=2026-11-30&to=2026-12-07&groupBy=owner", nil)
	req.Header = w.api.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("csv: %d %v", resp.StatusCode, err)
	}
	wantRows := [][]string{{"owner_id", "owner_name", "rule", "stage", "entered", "met", "breached", "open", "median_days_to_leave", "p90_days_to_leave"}}
	num := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	for _, g := range byOwner.SLAReport.Groups {
		for _, s := range g.SLAs {
			wantRows = append(wantRows, []string{*g.OwnerID, *g.OwnerName, s.Rule, s.Stage, strconv.Itoa(s.Entered), strconv.Itoa(s.Met),
				strconv.Itoa(s.Breached), strconv.Itoa(s.Open), num(s.MedianDaysToLeave), num(s.P90DaysToLeave)})
		}
	}
	if len(rows) != len(wantRows) {
		t.Fatalf("csv %d rows, want %d: %v", len(rows), len(wantRows), rows)
	}
	for i := range rows {
		if strconv.Quote(join(rows[i])) != strconv.Quote(join(wantRows[i])) {
			t.Errorf("csv row %d: %v, want %v", i, rows[i], wantRows[i])
		}
	}
	// A period backwards is a typed error on the field.
	e := w.api.Fail(t, "VALIDATION_FAILED", reportQuery, map[string]any{"p": map[string]any{"from": "2026-12-07T00:00:00Z", "to": "2026-11-30T00:00:00Z"}})
	if e.Extensions["field"] == nil {
		t.Errorf("bad period: %+v", e)
	}
}

func join(r []string) string {
	out := ""
	for _, s := range r {
		out += s + "\x1f"
	}
	return out
}

func compare(t *testing.T, name string, got, want []groupJSON) {
	t.Helper()
	s := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return *p
	}
	fl := func(p *float64) string {
		if p == nil {
			return "<nil>"
		}
		return strconv.FormatFloat(*p, 'f', 6, 64)
	}
	render := func(gs []groupJSON) []string {
		var out []string
		for _, g := range gs {
			for _, st := range g.SLAs {
				out = append(out, s(g.OwnerID)+"|"+s(g.OwnerName)+"|"+s(g.Team)+"|"+st.Rule+"|"+st.Stage+"|"+
					strconv.Itoa(st.Entered)+"/"+strconv.Itoa(st.Met)+"/"+strconv.Itoa(st.Breached)+"/"+strconv.Itoa(st.Open)+"|"+
					fl(st.MedianDaysToLeave)+"|"+fl(st.P90DaysToLeave))
			}
		}
		return out
	}
	g, wnt := render(got), render(want)
	if len(g) != len(wnt) {
		t.Errorf("%s: got\n%v\nwant\n%v", name, g, wnt)
		return
	}
	for i := range g {
		if g[i] != wnt[i] {
			t.Errorf("%s: row %d\n got %s\nwant %s", name, i, g[i], wnt[i])
		}
	}
}
