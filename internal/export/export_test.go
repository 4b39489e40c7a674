package export_test

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// leadFields are the columns the test compares with the API, by the GraphQL field names the
// export's header uses.
const leadFields = `id createdAt lastName email phone companyName source score ownerID stageID stage { key }`

// A BDR's export of leads holds exactly the leads the API lists for them (their own, their
// team's and the unowned pool), a revops' holds every lead, an analyst's has e-mail and phone
// redacted as the API reads them; the CSV parses back with encoding/csv and equals the GraphQL
// list field by field, and a formula in a cell is defused.
func TestLeadExportMatchesTheAPI(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		bdr1ID := api.User(t, "Bea", "BDR", "emea-bdr")
		bdr2ID := api.User(t, "Ben", "BDR", "na-bdr")
		revops := api.As(t, "revops", "revops", api.User(t, "Rex", "REVOPS", "revops"))
		analyst := api.As(t, "analyst", "analytics", api.User(t, "Ana", "ANALYST", "analytics"))
		bdr1 := api.As(t, "bdr", "emea-bdr", bdr1ID)

		create := func(last, email, phone, source, owner string) string {
			var out struct{ CreateLead struct{ ID string } }
			in := map[string]any{"lastName": last, "email": email, "source": source, "companyName": "Acme, \"Inc\"\nLtd"}
			if phone != "" {
				in["phone"] = phone
			}
			if owner != "" {
				in["ownerID"] = owner
			}
			api.Data(t, `mutation($in: CreateLeadInput!) { createLead(input: $in) { id } }`, map[string]any{"in": in}, &out)
			return out.CreateLead.ID
		}
		mine := create("Mine", "mine@acme.example", "+4930123456", "TRADE_FAIR", bdr1ID)
		formula := create("=HYPERLINK(\"http://x.example\",\"y\")", "f@acme.example", "+4930123457", "WEB_FORM", bdr1ID)
		theirs := create("Theirs", "theirs@acme.example", "+14155550100", "WEB_FORM", bdr2ID)
		pool := create("Pool", "pool@acme.example", "", "REFERRAL", "")

		for _, c := range []struct {
			name string
			api  *apitest.Instance
			want []string
		}{
			{"bdr", bdr1, []string{mine, formula, pool}},
			{"revops", revops, []string{mine, formula, theirs, pool}},
			{"analyst", analyst, []string{mine, formula, theirs, pool}},
		} {
			t.Run(c.name, func(t *testing.T) {
				want := graphqlLeads(t, c.api)
				if ids := column(want, "id"); !slices.Equal(ids, c.want) {
					t.Fatalf("the API lists %v, want %v", ids, c.want)
				}
				status, ctype, body := get(t, c.api, "/export/leads.csv")
				if status != http.StatusOK || ctype != "text/csv; charset=utf-8" {
					t.Fatalf("leads.csv: %d %s %s", status, ctype, body)
				}
				got := parseCSV(t, body)
				equalRows(t, got, want)
				status, _, body = get(t, c.api, "/export/leads.ndjson")
				if status != http.StatusOK {
					t.Fatalf("leads.ndjson: %d %s", status, body)
				}
				equalRows(t, parseNDJSON(t, body), want)
				if c.name == "analyst" {
					for _, r := range got {
						if r["email"] != nil || r["phone"] != nil {
							t.Errorf("analyst export shows %v %v", r["email"], r["phone"])
						}
					}
				}
			})
		}

		// Filters narrow the rows; the owner filter does not widen a BDR's.
		all := graphqlLeads(t, revops)
		var inStage []string
		for _, r := range all {
			if r["stage"] == all[0]["stage"] {
				inStage = append(inStage, r["id"].(string))
			}
		}
		for _, c := range []struct {
			api   *apitest.Instance
			query string
			want  []string
		}{
			{revops, "source=TRADE_FAIR", []string{mine}},
			{revops, "owner=" + bdr1ID, []string{mine, formula}},
			{bdr1, "owner=" + bdr2ID, nil},
			{revops, "createdAfter=" + time.Now().Add(time.Hour).UTC().Format(time.RFC3339), nil},
			{revops, "createdBefore=" + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + "&stage=" + all[0]["stage"].(string), inStage},
		} {
			status, _, body := get(t, c.api, "/export/leads.csv?"+c.query)
			if status != http.StatusOK {
				t.Fatalf("%s: %d %s", c.query, status, body)
			}
			if ids := column(parseCSV(t, body), "id"); !slices.Equal(ids, c.want) {
				t.Errorf("%s: %v, want %v", c.query, ids, c.want)
			}
		}
	})
}

// A cell that a spreadsheet would run as a formula is written with a leading apostrophe; a
// phone number, a number to a spreadsheet, is not.
func TestCSVCellsAreSafeForSpreadsheets(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		for _, last := range []string{"=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx"} {
			api.Data(t, `mutation($l: String!) { createLead(input: {lastName: $l, phone: "+4930123456", source: WEB_FORM}) { id } }`, map[string]any{"l": last}, &struct{}{})
		}
		_, _, body := get(t, api, "/export/leads.csv")
		rows := parseCSVRaw(t, body)
		for _, r := range rows {
			if !strings.HasPrefix(r["lastName"], "'") || r["phone"] != "+4930123456" {
				t.Errorf("lastName %q phone %q", r["lastName"], r["phone"])
			}
		}
		if len(rows) != 5 {
			t.Fatalf("%d rows", len(rows))
		}
	})
}

// Transitions: a BDR exports only the transitions of leads they see, each once, the same the
// API lists under those leads; revops all of them.
func TestTransitionExportFollowsTheLeads(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		bdr1ID := api.User(t, "Bea", "BDR", "emea-bdr")
		bdr2ID := api.User(t, "Ben", "BDR", "na-bdr")
		bdr1 := api.As(t, "bdr", "emea-bdr", bdr1ID)
		for _, owner := range []string{bdr1ID, bdr2ID, bdr2ID} {
			api.Data(t, `mutation($o: ID) { createLead(input: {lastName: "T", source: WEB_FORM, ownerID: $o}) { id } }`, map[string]any{"o": owner}, &struct{}{})
		}
		for _, c := range []struct {
			api   *apitest.Instance
			leads int
		}{{bdr1, 1}, {api, 3}} {
			var out struct {
				Leads struct {
					Edges []struct {
						Node struct {
							ID          string
							Transitions struct {
								Edges []struct{ Node struct{ ID, LeadID string } }
							}
						}
					}
				}
			}
			c.api.Data(t, `{ leads(first: 100) { edges { node { id transitions(first: 100) { edges { node { id leadID } } } } } } }`, nil, &out)
			if len(out.Leads.Edges) != c.leads {
				t.Fatalf("the API lists %d leads, want %d", len(out.Leads.Edges), c.leads)
			}
			var want []string
			for _, e := range out.Leads.Edges {
				for _, tr := range e.Node.Transitions.Edges {
					want = append(want, tr.Node.ID)
				}
			}
			slices.SortFunc(want, func(a, b string) int { return len(a)*1000 - len(b)*1000 + strings.Compare(a, b) })
			status, _, body := get(t, c.api, "/export/transitions.csv")
			if status != http.StatusOK {
				t.Fatalf("transitions.csv: %d %s", status, body)
			}
			rows := parseCSV(t, body)
			if got := column(rows, "id"); len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("transitions %v, want %v", got, want)
			}
			_, _, body = get(t, c.api, "/export/transitions.ndjson?stage=lead")
			n := 0
			for _, r := range parseNDJSON(t, body) {
				if n++; r["toStage"] != "lead" || !slices.Contains(want, r["id"].(string)) {
					t.Errorf("stage=lead gave %v", r)
				}
			}
			if n == 0 {
				t.Errorf("no transition into lead")
			}
		}
	})
}

// Bad parameters are refused with 400 and a typed error naming the parameter; no credentials is
// 401.
func TestExportRefusesBadParameters(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		for _, c := range []struct {
			path, field string
		}{
			{"/export/leads.csv?createdAfter=yesterday", "createdAfter"},
			{"/export/leads.ndjson?createdBefore=2026-13-01", "createdBefore"},
			{"/export/leads.csv?createdAfter=2026-02-01T00:00:00Z&createdBefore=2026-01-01T00:00:00Z", "createdBefore"},
			{"/export/transitions.csv?stage=nowhere", "stage"},
			{"/export/transitions.ndjson?source=FAX", "source"},
			{"/export/leads.csv?owner=me", "owner"},
			{"/export/leads.csv?sorce=WEB_FORM", "sorce"},
			{"/export/leads.csv?source=WEB_FORM&source=PAID_AD", "source"},
		} {
			status, ctype, body := get(t, api, c.path)
			var e struct {
				Errors []struct {
					Extensions struct{ Code, Field, Reason string }
				}
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil || status != http.StatusBadRequest || ctype != "application/json" || len(e.Errors) != 1 {
				t.Fatalf("%s: %d %s %s", c.path, status, ctype, body)
			}
			if x := e.Errors[0].Extensions; x.Code != "VALIDATION_FAILED" || x.Field != c.field || x.Reason == "" {
				t.Errorf("%s: %+v", c.path, x)
			}
		}
		if status, _, body := get(t, api.Anonymous(), "/export/leads.csv"); status != http.StatusUnauthorized || !strings.Contains(body, "UNAUTHENTICATED") {
			t.Errorf("anonymous: %d %s", status, body)
		}
	})
}

type row = map[string]any

// graphqlLeads lists the caller's leads through the API, flattened to the export's columns.
func graphqlLeads(t *testing.T, api *apitest.Instance) []row {
	t.Helper()
	var out struct {
		Leads struct{ Edges []struct{ Node row } }
	}
	api.Data(t, `{ leads(first: 100, orderBy: []) { edges { node { `+leadFields+` } } } }`, nil, &out)
	var rows []row
	for _, e := range out.Leads.Edges {
		n := e.Node
		n["stage"] = n["stage"].(map[string]any)["key"]
		rows = append(rows, n)
	}
	slices.SortFunc(rows, func(a, b row) int {
		x, y := a["id"].(string), b["id"].(string)
		return len(x)*1000 - len(y)*1000 + strings.Compare(x, y)
	})
	return rows
}

// equalRows compares the columns the API returned: times as instants, numbers as numbers, a
// CSV's empty cell as null.
func equalRows(t *testing.T, got, want []row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		for k, w := range want[i] {
			g := got[i][k]
			if k == "createdAt" {
				gt, err1 := time.Parse(time.RFC3339Nano, g.(string))
				wt, err2 := time.Parse(time.RFC3339Nano, w.(string))
				if err1 != nil || err2 != nil || !gt.Equal(wt) {
					t.Errorf("row %d %s: %v, want %v", i, k, g, w)
				}
				continue
			}
			if s, ok := g.(string); ok {
				if _, isNum := w.(float64); isNum {
					var f float64
					_ = json.Unmarshal([]byte(s), &f)
					g = f
				}
			}
			if g != w {
				t.Errorf("row %d %s: %#v, want %#v", i, k, g, w)
			}
		}
	}
}

func column(rows []row, name string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r[name].(string))
	}
	return out
}

// parseCSV reads an export back: a cell a spreadsheet would have shown without its defusing
// apostrophe loses it, an empty cell is null.
func parseCSV(t *testing.T, body string) []row {
	t.Helper()
	var rows []row
	for _, r := range parseCSVRaw(t, body) {
		out := row{}
		for k, v := range r {
			switch {
			case v == "":
				out[k] = nil
			case strings.HasPrefix(v, "'"):
				out[k] = v[1:]
			default:
				out[k] = v
			}
		}
		rows = append(rows, out)
	}
	return rows
}

func parseCSVRaw(t *testing.T, body string) []map[string]string {
	t.Helper()
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(records) == 0 {
		t.Fatalf("csv: %v\n%s", err, body)
	}
	var rows []map[string]string
	for _, rec := range records[1:] {
		r := map[string]string{}
		for i, name := range records[0] {
			r[name] = rec[i]
		}
		rows = append(rows, r)
	}
	return rows
}

func parseNDJSON(t *testing.T, body string) []row {
	t.Helper()
	var rows []row
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		var r row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %s: %v", sc.Text(), err)
		}
		rows = append(rows, r)
	}
	return rows
}

func get(t *testing.T, api *apitest.Instance, path string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, api.Server.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = api.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// An export longer than a page is read page after page by id: every row once, in id order, the
// owner filter applied on every page.
func TestExportPagesThroughEveryRow(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		bdrID := api.User(t, "Bea", "BDR", "emea-bdr")
		other := api.User(t, "Ben", "BDR", "na-bdr")
		ctx := t.Context()
		c := api.App.DB.Client
		first, err := c.Stage.Query().Order(ent.Asc(stage.FieldPosition)).First(ctx)
		if err != nil {
			t.Fatal(err)
		}
		const n = 1234 // two full pages and a part
		owners := map[bool]int{}
		for _, s := range []string{bdrID, other} {
			id, _ := strconv.Atoi(s)
			owners[s == bdrID] = id
		}
		for lo := 0; lo < n; lo += 400 {
			var bulk []*ent.LeadCreate
			for i := lo; i < min(lo+400, n); i++ {
				bulk = append(bulk, c.Lead.Create().SetLastName(fmt.Sprint("L", i)).SetSource(lead.SourceDIRECTORY).
					SetStageID(first.ID).SetFurthestStageID(first.ID).SetOwnerID(owners[i%3 != 0]))
			}
			if err := c.Lead.CreateBulk(bulk...).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			api  *apitest.Instance
			want int
		}{{api, n}, {api.As(t, "bdr", "emea-bdr", bdrID), n - (n+2)/3}} {
			status, _, body := get(t, c.api, "/export/leads.ndjson?source=DIRECTORY")
			rows := parseNDJSON(t, body)
			if status != http.StatusOK || len(rows) != c.want {
				t.Fatalf("%d: %d rows, want %d", status, len(rows), c.want)
			}
			prev := 0
			for _, r := range rows {
				id, _ := strconv.Atoi(r["id"].(string))
				if id <= prev {
					t.Fatalf("id %d after %d", id, prev)
				}
				prev = id
			}
		}
	})
}
