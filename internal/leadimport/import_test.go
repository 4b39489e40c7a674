package leadimport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/leadimport"
	"github.com/qualify/qualify/internal/principal"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// messy is a trade-fair list: a badge column as row key, German headers, an unknown column, a
// bad email, a duplicate row, an unknown source, a bad budget, a blank line, upper-case email
// and a row without source (the default applies). p makes keys and emails unique per variant.
func messy(p string, delim string) string {
	rows := []string{
		"Badge;Vorname;Nachname;E-Mail;Firma;Land;Quelle;Schuhgröße;Budget",
		p + "1;Jürgen;Müller;jm." + p + "@acme.example;Acme;DE;trade fair;42;yes",
		p + "2;Ben;Beta;not-an-email;Beta;DE;;;",
		p + "1;Jürgen;Müller;jm." + p + "@acme.example;Acme;DE;trade fair;42;yes",
		p + "3;Cara;Gamma;CARA." + strings.ToUpper(p) + "@Gamma.Example;Gamma;DE;Referral;;",
		p + "4;Dan;Delta;dan." + p + "@delta.example;Delta;DE;carrier pigeon;;",
		p + "5;Eve;Eps;eve." + p + "@eps.example;;FR;;;maybe",
		";;;",
		p + "6;Finn;Phi;finn." + p + "@phi.example;;;;;",
	}
	return strings.ReplaceAll(strings.Join(rows, "\n")+"\n", ";", delim)
}

type counts struct{ created, matched, refused int }

func got(r *ent.ImportRun) counts { return counts{r.Created, r.Matched, r.Refused} }

// uploadCSV sends importLeads as a GraphQL multipart request (the spec gqlgen implements).
func uploadCSV(t *testing.T, api *apitest.Instance, name string, raw []byte, dryRun bool) *ent.ImportRun {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	ops, _ := json.Marshal(map[string]any{
		"query":     `mutation($f: Upload!, $d: Boolean) { importLeads(file: $f, input: {dryRun: $d}) { id status } }`,
		"variables": map[string]any{"f": nil, "d": dryRun},
	})
	_ = w.WriteField("operations", string(ops))
	_ = w.WriteField("map", `{"0": ["variables.f"]}`)
	fw, _ := w.CreateFormFile("0", name)
	_, _ = fw.Write(raw)
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
		Data struct {
			ImportLeads struct{ ID, Status string }
		}
		Errors []apitest.Error
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("importLeads: status %d, %v %v", resp.StatusCode, err, out.Errors)
	}
	return waitRun(t, api, out.Data.ImportLeads.ID)
}

// waitRun polls importRun(id) until the run has finished (a real import runs as a job).
func waitRun(t *testing.T, api *apitest.Instance, id string) *ent.ImportRun {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var out struct {
			ImportRun struct {
				Status                                      string
				Total, Processed, Created, Matched, Refused int
				Encoding, Delimiter, ErrorCsv               string
				UnknownColumns                              []string
			}
		}
		api.Data(t, `query($id: ID!) { importRun(id: $id) { status total processed created matched refused encoding delimiter unknownColumns errorCsv } }`,
			map[string]any{"id": id}, &out)
		r := out.ImportRun
		if r.Status == "SUCCEEDED" || r.Status == "FAILED" || time.Now().After(deadline) {
			if r.Status != "SUCCEEDED" || r.Processed != r.Total {
				t.Fatalf("import run %s: %s, %d of %d rows", id, r.Status, r.Processed, r.Total)
			}
			return &ent.ImportRun{Total: r.Total, Created: r.Created, Matched: r.Matched, Refused: r.Refused, Encoding: r.Encoding,
				Delimiter: r.Delimiter, ErrorCsv: r.ErrorCsv, UnknownColumns: r.UnknownColumns}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A messy file in each encoding and delimiter: 3 created, 1 matched (its duplicate row), 3
// refused with a per-row report; the dry run before writes nothing and predicts the same; a
// second import creates nothing. Leads are matched to the account of their email's domain and
// the contact with their email, and qualified with trigger IMPORT.
func TestImportMessyCSV(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		ctx := principal.With(context.Background(), principal.System)
		acme := db.Client.Account.Create().SetName("Acme").SetDomain("acme.example").SaveX(ctx)
		contactEmail := "cara.v1@gamma.example"
		contact := db.Client.Contact.Create().SetLastName("Gamma").SetEmail(contactEmail).SaveX(ctx)

		win := func(s string) []byte {
			b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		variants := []struct {
			p, enc string
			raw    []byte
		}{
			{"v1", leadimport.UTF8, []byte(messy("v1", ";"))},
			{"v2", leadimport.UTF8BOM, append([]byte("\xEF\xBB\xBF"), messy("v2", ",")...)},
			{"v3", leadimport.Windows1252, win(messy("v3", ";"))},
			{"v4", leadimport.Windows1252, win(messy("v4", ","))},
		}
		want := counts{3, 1, 3}
		for i, v := range variants {
			var dry, first, second *ent.ImportRun
			if i == 0 { // through the API, as a file upload
				dry = uploadCSV(t, api, v.p+".csv", v.raw, true)
				first = uploadCSV(t, api, v.p+".csv", v.raw, false)
				second = uploadCSV(t, api, v.p+".csv", v.raw, false)
			} else {
				var err error
				if dry, err = api.App.Import.Import(ctx, v.raw, leadimport.Options{DryRun: true}); err != nil {
					t.Fatal(err)
				}
				if first, err = api.App.Import.Import(ctx, v.raw, leadimport.Options{}); err != nil {
					t.Fatal(err)
				}
				if first, err = api.App.Import.WaitRun(ctx, first.ID, nil); err != nil {
					t.Fatal(err)
				}
				if second, err = api.App.Import.Import(ctx, v.raw, leadimport.Options{}); err != nil {
					t.Fatal(err)
				}
				if second, err = api.App.Import.WaitRun(ctx, second.ID, nil); err != nil {
					t.Fatal(err)
				}
			}
			if got(dry) != want || got(first) != want {
				t.Errorf("%s: dry run %+v, import %+v, want %+v", v.p, got(dry), got(first), want)
			}
			if g := got(second); g != (counts{0, 4, 3}) {
				t.Errorf("%s: second import %+v, want nothing created", v.p, g)
			}
			if first.Encoding != v.enc || first.Total != 7 {
				t.Errorf("%s: encoding %s, %d rows", v.p, first.Encoding, first.Total)
			}
			if len(first.UnknownColumns) != 1 || first.UnknownColumns[0] != "Schuhgröße" {
				t.Errorf("%s: unknown columns %q", v.p, first.UnknownColumns)
			}
			report := strings.Split(strings.TrimSpace(first.ErrorCsv), "\n")
			if len(report) != 4 || !strings.HasPrefix(report[1], "3,E-Mail,VALIDATION_FAILED,") ||
				!strings.HasPrefix(report[2], "6,Quelle,VALIDATION_FAILED,") || !strings.HasPrefix(report[3], "7,Budget,") {
				t.Errorf("%s: error report\n%s", v.p, first.ErrorCsv)
			}
			n, err := db.Client.Lead.Query().Where(lead.IdempotencyKeyHasPrefix("key:" + v.p)).Count(ctx)
			if err != nil || n != 3 {
				t.Fatalf("%s: %d leads, %v", v.p, n, err)
			}
			jm, err := db.Client.Lead.Query().Where(lead.IdempotencyKey("key:" + v.p + "1")).
				WithTransitions().WithContacts().Only(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if jm.FirstName != "Jürgen" || jm.LastName != "Müller" || jm.Source != lead.SourceTRADE_FAIR || jm.Budget != lead.BudgetYES {
				t.Errorf("%s: lead %q %q %s %s", v.p, jm.FirstName, jm.LastName, jm.Source, jm.Budget)
			}
			if jm.AccountID == nil || *jm.AccountID != acme.ID {
				t.Errorf("%s: not matched to the account of acme.example", v.p)
			}
			for _, tr := range jm.Edges.Transitions {
				if tr.Trigger != stagetransition.TriggerIMPORT {
					t.Errorf("%s: transition with trigger %s", v.p, tr.Trigger)
				}
			}
		}
		cara, err := db.Client.Lead.Query().Where(lead.IdempotencyKey("key:v13")).WithContacts().Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if *cara.Email != contactEmail || len(cara.Edges.Contacts) != 1 || cara.Edges.Contacts[0].ID != contact.ID {
			t.Errorf("lead %v not matched to contact %d: %v", cara.Email, contact.ID, cara.Edges.Contacts)
		}
		finn, err := db.Client.Lead.Query().Where(lead.IdempotencyKey("key:v16")).Only(ctx)
		if err != nil || finn.Source != lead.SourceTRADE_FAIR {
			t.Errorf("default source: %v %v", finn, err)
		}
	})
}

// A saved mapping is reused by name; a mapping naming an unknown field is refused.
func TestSavedMapping(t *testing.T) {
	db := testenv.SQLite(t)
	api := apitest.Start(t, db)
	api.Data(t, `mutation { saveImportMapping(name: "fair", columns: [{header: "Kontakt", field: "email"}, {header: "Nr", field: "key"}, {header: "Notiz", field: ""}]) { name columns { header field } } }`, nil, &struct{}{})
	api.Fail(t, "VALIDATION_FAILED", `mutation { saveImportMapping(name: "bad", columns: [{header: "x", field: "shoeSize"}]) { name } }`, nil)
	ctx := principal.With(context.Background(), principal.System)
	raw := []byte("Nr,Kontakt,Notiz\n7,someone@example.org,met at booth\n")
	run, err := api.App.Import.Import(ctx, raw, leadimport.Options{Mapping: "fair"})
	if err != nil {
		t.Fatal(err)
	}
	if run, err = api.App.Import.WaitRun(ctx, run.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got(run) != (counts{1, 0, 0}) || len(run.UnknownColumns) != 0 {
		t.Fatalf("%+v unknown %q", got(run), run.UnknownColumns)
	}
	if _, err := api.App.Import.Import(ctx, raw, leadimport.Options{Mapping: "nope"}); err == nil {
		t.Fatal("an unknown mapping was accepted")
	}
}
