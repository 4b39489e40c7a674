package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// The leads connection's totalCount without where or search is read from the per-owner
// counters (no count over the leads), and stays exact for every row filter (all; own_or_team,
// own and team in a bundle whose ae and analyst roles have them) through every way a lead is
// created or changes owner: the seed, createLead, updateLead, updateUser addOwnedLeadIDs,
// routing on a transition, an import, and a user changing team. With a where it counts rows.
func TestLeadTotalCountFromCounters(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: 60, Seed: 3, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		// Writes go to one app; the checks read through a second on a client that records statements
		// (an import's job needs the store's own client).
		bundle := func(c *app.Config) { c.PoliciesDir, c.PageMax = ownAndTeamBundle(t), 1000 }
		api := apitest.Start(t, db, bundle)
		counted, st := apitest.CountStatements(db)
		reader := apitest.Start(t, counted, bundle)
		callers, bea, nat, abe := counterCallers(t, api, reader)
		ben := api.User(t, "Ben", "BDR", "emea-bdr")
		check := func(step string) {
			t.Helper()
			for name, c := range callers {
				var page struct {
					Leads struct {
						TotalCount int
						Edges      []struct{ Node struct{ ID string } }
					}
				}
				st.Take()
				c.Data(t, `{ leads(first: 1000) { totalCount edges { node { id } } } }`, nil, &page)
				stmts := strings.Join(st.Take(), "\n")
				if page.Leads.TotalCount != len(page.Leads.Edges) {
					t.Errorf("%s, %s: totalCount %d, %d leads visible", step, name, page.Leads.TotalCount, len(page.Leads.Edges))
				}
				if !strings.Contains(stmts, "lead_counts") || strings.Contains(strings.ToUpper(stmts), "COUNT(") {
					t.Errorf("%s, %s: totalCount not read from the counters:\n%s", step, name, stmts)
				}
				var filtered struct {
					Leads struct {
						TotalCount int
						Edges      []struct{ Node struct{ ID string } }
					}
				}
				c.Data(t, `{ leads(first: 1000, where: {lastNameNEQ: "nobody is called this"}) { totalCount edges { node { id } } } }`, nil, &filtered)
				stmts = strings.Join(st.Take(), "\n")
				if filtered.Leads.TotalCount != len(filtered.Leads.Edges) || filtered.Leads.TotalCount != page.Leads.TotalCount {
					t.Errorf("%s, %s: with a where totalCount %d of %d leads, without %d", step, name,
						filtered.Leads.TotalCount, len(filtered.Leads.Edges), page.Leads.TotalCount)
				}
				if strings.Contains(stmts, "lead_counts") {
					t.Errorf("%s, %s: a count with a where read the counters", step, name)
				}
				// A page shorter than the set: entgql takes a count of 0 for the page's length when
				// the page holds every row, so only a short page shows the counters' own figure.
				var one struct{ Leads struct{ TotalCount int } }
				c.Data(t, `{ leads(first: 1) { totalCount edges { node { id } } } }`, nil, &one)
				if one.Leads.TotalCount != page.Leads.TotalCount {
					t.Errorf("%s, %s: a page of one counts %d leads, the whole page %d", step, name, one.Leads.TotalCount, page.Leads.TotalCount)
				}
				// A nested leads connection under the unfiltered root counts its own leads: the
				// root's mark must not reach the counts of its edges.
				var nested struct {
					Leads struct {
						Edges []struct {
							Node struct {
								Account *struct {
									Leads struct {
										TotalCount int
										Edges      []struct{ Node struct{ ID string } }
									}
								}
							}
						}
					}
				}
				c.Data(t, `{ leads(first: 100) { edges { node { account { leads(first: 15) { totalCount edges { node { id } } } } } } } }`, nil, &nested)
				for _, e := range nested.Leads.Edges {
					if a := e.Node.Account; a != nil && (a.Leads.TotalCount < len(a.Leads.Edges) || len(a.Leads.Edges) < 15 && a.Leads.TotalCount != len(a.Leads.Edges)) {
						t.Errorf("%s, %s: an account's leads totalCount %d, %d leads", step, name, a.Leads.TotalCount, len(a.Leads.Edges))
						break
					}
				}
			}
		}
		check("seeded")

		create := func(last, owner string) string {
			var out struct{ CreateLead struct{ ID string } }
			in := map[string]any{"lastName": last, "email": strings.ToLower(last) + "@mail.example", "source": "WEB_FORM"}
			if owner != "" {
				in["ownerID"] = owner
			}
			api.Data(t, `mutation($in: CreateLeadInput!) { createLead(input: $in) { id } }`, map[string]any{"in": in}, &out)
			return out.CreateLead.ID
		}
		pool1, pool2 := create("Pool", ""), create("Pond", "")
		beas := create("Bees", bea)
		create("Nats", nat)
		abes := create("Abes", abe)
		check("created")

		api.Data(t, `mutation($id: ID!, $o: ID!) { updateLead(id: $id, input: {ownerID: $o}) { id } }`, map[string]any{"id": beas, "o": nat}, &struct{}{})
		api.Data(t, `mutation($id: ID!) { updateLead(id: $id, input: {clearOwner: true}) { id } }`, map[string]any{"id": abes}, &struct{}{})
		api.Data(t, `mutation($id: ID!, $o: ID!) { updateLead(id: $id, input: {ownerID: $o}) { id } }`, map[string]any{"id": pool2, "o": abe}, &struct{}{})
		check("updateLead")

		api.Data(t, `mutation($u: ID!, $ls: [ID!]) { updateUser(id: $u, input: {addOwnedLeadIDs: $ls}) { id } }`,
			map[string]any{"u": ben, "ls": []string{pool1, abes}}, &struct{}{})
		check("updateUser addOwnedLeadIDs")

		// A lead reaching sal is routed to the least-loaded emea-bdr user.
		var acc struct{ CreateAccount struct{ ID string } }
		api.Data(t, `mutation { createAccount(input: {name: "Umbrella", domain: "umbrella.de", industry: "software", employeeCount: 400, country: "DE", region: EMEA}) { id } }`, nil, &acc)
		var hot struct{ CreateLead struct{ ID string } }
		api.Data(t, `mutation($a: ID!) { createLead(input: {lastName: "Wesker", email: "aw@umbrella.de", source: TRADE_FAIR, accountID: $a}) { id } }`,
			map[string]any{"a": acc.CreateAccount.ID}, &hot)
		api.Data(t, `mutation($id: ID!) { createActivity(input: {kind: APPOINTMENT_REQUEST, leadID: $id}) { id } }`, map[string]any{"id": hot.CreateLead.ID}, &struct{}{})
		var routed struct {
			Node struct {
				Stage struct{ Key string }
				Owner *struct{ ID string }
			}
		}
		api.Data(t, `query($id: ID!) { node(id: $id) { ... on Lead { stage { key } owner { id } } } }`, map[string]any{"id": hot.CreateLead.ID}, &routed)
		if routed.Node.Stage.Key != "sal" {
			api.Data(t, `mutation($id: ID!) { transitionLead(input: {leadId: $id, toStage: "sal", reason: "booked"}) { lead { id } } }`,
				map[string]any{"id": hot.CreateLead.ID}, &struct{}{})
			api.Data(t, `query($id: ID!) { node(id: $id) { ... on Lead { stage { key } owner { id } } } }`, map[string]any{"id": hot.CreateLead.ID}, &routed)
		}
		if routed.Node.Owner == nil {
			t.Fatalf("the lead at %s was not routed to an owner", routed.Node.Stage.Key)
		}
		check("routed")

		importCSV(t, api, "lastName,email\nImp,imp@one.example\nOrt,ort@two.example\n")
		check("imported")

		api.Data(t, `mutation($u: ID!) { updateUser(id: $u, input: {team: "emea-bdr"}) { id } }`, map[string]any{"u": nat}, &struct{}{})
		check("Nat moved to emea-bdr")
	})
}

// ownAndTeamBundle is the shipped bundle with the row filters own for ae and team for analyst
// (the shipped roles use all and own_or_team only), without the shipped authz tests that pin them.
// counterCallers are the callers the counter tests read as, on reader: an admin and one of each
// row filter of ownAndTeamBundle (own_or_team for BDRs of two teams, own for an AE, team for an
// analyst with and without a team); bea, nat (the BDRs) and abe (the AE) are made on api.
func counterCallers(t *testing.T, api, reader *apitest.Instance) (callers map[string]*apitest.Instance, bea, nat, abe string) {
	t.Helper()
	bea = api.User(t, "Bea", "BDR", "emea-bdr")
	nat = api.User(t, "Nat", "BDR", "na-bdr")
	abe = api.User(t, "Abe", "AE", "emea-ae")
	return map[string]*apitest.Instance{
		"admin":                  reader,
		"bdr own_or_team (Bea)":  reader.As(t, "bdr", "emea-bdr", bea),
		"bdr own_or_team (Nat)":  reader.As(t, "bdr", "na-bdr", nat),
		"ae own (Abe)":           reader.As(t, "ae", "emea-ae", abe),
		"analyst team emea-bdr":  reader.As(t, "analyst", "emea-bdr", ""),
		"analyst team (no team)": reader.As(t, "analyst", "", ""),
	}, bea, nat, abe
}

func ownAndTeamBundle(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(apitest.PoliciesDir())); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "qualify", "authz", "authz_test.rego")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "data.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}
	roles := data["qualify"].(map[string]any)["config"].(map[string]any)["authz"].(map[string]any)["roles"].(map[string]any)
	roles["ae"].(map[string]any)["row_filter"] = "own"
	roles["analyst"].(map[string]any)["row_filter"] = "team"
	if raw, err = json.Marshal(data); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// importCSV imports leads from a CSV file through importLeads (a multipart upload) and waits for
// the run to finish.
func importCSV(t *testing.T, api *apitest.Instance, csv string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	ops, _ := json.Marshal(map[string]any{
		"query":     `mutation($f: Upload!) { importLeads(file: $f) { id } }`,
		"variables": map[string]any{"f": nil},
	})
	_ = w.WriteField("operations", string(ops))
	_ = w.WriteField("map", `{"0": ["variables.f"]}`)
	fw, _ := w.CreateFormFile("0", "leads.csv")
	_, _ = fw.Write([]byte(csv))
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, api.Server.URL+"/graphql", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", api.Header.Get("Authorization"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data   struct{ ImportLeads struct{ ID string } }
		Errors []apitest.Error
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("importLeads: status %d, %v %v", resp.StatusCode, err, out.Errors)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var run struct{ ImportRun struct{ Status string } }
		api.Data(t, `query($id: ID!) { importRun(id: $id) { status } }`, map[string]any{"id": out.Data.ImportLeads.ID}, &run)
		switch s := run.ImportRun.Status; {
		case s == "SUCCEEDED":
			return
		case s == "FAILED" || time.Now().After(deadline):
			t.Fatalf("import run: %s", s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
