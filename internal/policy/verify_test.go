package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestVerifyFixture(t *testing.T) {
	e := newTestEngine(t, Options{})
	rev, rep := e.Verify(context.Background(), fixture(t))
	if !rep.OK() {
		t.Fatalf("fixture refused: %v", rep.Problems)
	}
	if rep.Revision != "fixture-1" || rev.ID() != "fixture-1" {
		t.Errorf("revision = %q", rep.Revision)
	}
	if rep.Passed() != 13 || rep.Failed() != 0 {
		t.Errorf("tests: %d passed, %d failed; want 13, 0", rep.Passed(), rep.Failed())
	}
	for _, tr := range rep.Tests {
		if tr.File == "" || tr.Row == 0 || !strings.HasPrefix(tr.Package, "data.qualify.") {
			t.Errorf("test result without location or package: %+v", tr)
		}
	}
	var keys []string
	for _, s := range rev.Stages() {
		keys = append(keys, s.Key)
	}
	if got := strings.Join(keys, ","); got != "lead,mql,sal,sql,opportunity,customer,nurture,disqualified" {
		t.Errorf("stages = %s", got)
	}
	if rev.Source() != "" || rev.Hash() != fixture(t).Hash() {
		t.Errorf("source %q hash %s", rev.Source(), rev.Hash())
	}
}

// Variants of the fixture that must be refused, and where the refusal must point.
var refusals = []struct {
	name  string
	edits map[string]string
	want  Problem // File, Row, Col compared when set; Message is a substring
}{
	{
		name:  "syntax error",
		edits: map[string]string{"qualify/routing.rego": "package qualify.routing\n\nrole := \"ae\" if {\n\tinput.to == \n}\n"},
		want:  Problem{File: "qualify/routing.rego", Row: 5, Col: 1, Message: "rego_parse_error"},
	},
	{
		name:  "compile error",
		edits: map[string]string{"qualify/extra.rego": "package qualify.extra\n\nx := y + 1\n"},
		want:  Problem{File: "qualify/extra.rego", Row: 3, Col: 6, Message: "var y is unsafe"},
	},
	{
		name:  "network builtin",
		edits: map[string]string{"qualify/extra.rego": "package qualify.extra\n\nx := http.send({\"method\": \"get\", \"url\": \"http://x\"})\n"},
		want:  Problem{File: "qualify/extra.rego", Row: 3, Message: "unsafe built-in function calls in expression: http.send"},
	},
	{
		name: "failing test",
		edits: map[string]string{"qualify/extra_test.rego": "package qualify.extra_test\n\nimport data.qualify.lead\n\n" +
			"test_ok if true\n\ntest_bare_lead_is_hot if {\n\tlead.temperature == \"hot\" with input as {}\n}\n"},
		want: Problem{File: "qualify/extra_test.rego", Row: 7, Col: 1, Message: "test data.qualify.extra_test.test_bare_lead_is_hot failed"},
	},
	{
		name:  "malformed data.json",
		edits: map[string]string{"data.json": "{\n  \"qualify\": {\n    \"stages\": [,]\n  }\n}\n"},
		want:  Problem{File: "data.json", Row: 3, Col: 16, Message: "invalid JSON"},
	},
	{
		name:  "truncated data.json",
		edits: map[string]string{"data.json": "{\n  \"qualify\": {\n"},
		want:  Problem{File: "data.json", Row: 3, Col: 1, Message: "unexpected end of JSON input"},
	},
	{
		name:  "malformed manifest",
		edits: map[string]string{".manifest": "{\"revision\": \"x\",}"},
		want:  Problem{File: ".manifest", Row: 1, Col: 18, Message: "invalid JSON"},
	},
	{
		name:  "module outside the roots",
		edits: map[string]string{"other.rego": "package other\n\nx := 1\n"},
		want:  Problem{Message: "manifest roots [qualify] do not permit 'package other'"},
	},
	{
		name:  "rule shadows data",
		edits: map[string]string{"qualify/extra.rego": "package qualify.config\n\nmql_score := 1\n"},
		want:  Problem{Message: "conflict"},
	},
	{
		name: "wrong-shaped decision",
		edits: map[string]string{
			"qualify/lead_test.rego": deleteFile,
			"qualify/lead.rego": "package qualify.lead\n\ndecision := {\n\t\"fit_score\": 1, \"engagement_score\": 1, \"score\": \"high\", \"grade\": \"A\",\n" +
				"\t\"temperature\": \"hot\", \"bant\": {\"budget\": \"yes\", \"authority\": \"yes\", \"need\": \"yes\", \"timing\": \"yes\", \"confirmed\": 4, \"status\": \"qualified\"},\n" +
				"\t\"coverage\": {\"decision_maker\": true, \"recommender\": true, \"influencer\": true}, \"project_signal\": false, \"stage\": \"lead\", \"reasons\": [],\n}\n",
		},
		want: Problem{File: "qualify/lead.rego", Row: 3, Col: 1, Message: "decision of the wrong shape: score: want an integer, got string \"high\""},
	},
	{
		name: "decision missing a key",
		edits: map[string]string{
			"qualify/routing_test.rego": deleteFile,
			"qualify/routing.rego":      "package qualify.routing\n\ndecision := {\"team\": \"x\", \"reasons\": []}\n",
		},
		want: Problem{File: "qualify/routing.rego", Row: 3, Message: `decision of the wrong shape: missing key "role"`},
	},
	{
		name: "undefined decision",
		edits: map[string]string{
			"qualify/authz_test.rego": deleteFile,
			"qualify/authz.rego":      "package qualify.authz\n\ndecision := {\"allow\": true, \"row_filter\": \"all\", \"redact\": []} if input.principal.role == \"admin\"\n",
		},
		want: Problem{File: "qualify/authz.rego", Row: 3, Message: "decision of the wrong shape: undefined for the probe input"},
	},
	{
		name: "decision not defined at all",
		edits: map[string]string{
			"qualify/authz_test.rego": deleteFile,
			"qualify/authz.rego":      deleteFile,
		},
		want: Problem{Message: "data.qualify.authz.decision: decision of the wrong shape: no rule defines it"},
	},
	{
		name: "stage the funnel does not have",
		edits: map[string]string{
			"qualify/lead_test.rego": deleteFile,
			"qualify/lead.rego": strings.Replace(string(mustGet(fixtureDir+"/qualify/lead.rego")),
				"} else := input.lead.stage", "} else := \"limbo\"", 1),
		},
		want: Problem{File: "qualify/lead.rego", Row: 7, Message: `stage: "limbo" is not one of data.qualify.stages`},
	},
	{
		name: "unknown stage kind",
		edits: map[string]string{"data.json": strings.Replace(string(mustGet(fixtureDir+"/data.json")),
			`"kind": "parked"`, `"kind": "paused"`, 1)},
		want: Problem{Message: `stage "nurture" has kind "paused"`},
	},
	{
		name: "duplicate stage key",
		edits: map[string]string{"data.json": strings.Replace(string(mustGet(fixtureDir+"/data.json")),
			`"key": "sal"`, `"key": "mql"`, 1)},
		want: Problem{Message: `key "mql" is used twice`},
	},
	{
		name: "stage of the wrong shape",
		edits: map[string]string{"data.json": strings.Replace(string(mustGet(fixtureDir+"/data.json")),
			`"position": 3`, `"position": "3"`, 1)},
		want: Problem{Message: "stages[2].position: want an integer"},
	},
}

func TestVerifyRefuses(t *testing.T) {
	e := newTestEngine(t, Options{})
	base := fixture(t)
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			rev, rep := e.Verify(context.Background(), edit(t, base, tc.edits))
			if rep.OK() || rev != nil {
				t.Fatal("accepted")
			}
			t.Logf("refused with:\n%s", problemLines(rep.Problems))
			for _, p := range rep.Problems {
				if problemMatches(p, tc.want) {
					return
				}
			}
			t.Errorf("no problem like %+v in:\n%s", tc.want, problemLines(rep.Problems))
		})
	}
}

func problemMatches(p, want Problem) bool {
	return strings.Contains(p.Message, want.Message) &&
		(want.File == "" || p.File == want.File) &&
		(want.Row == 0 || p.Row == want.Row) &&
		(want.Col == 0 || p.Col == want.Col)
}

func problemLines(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

func TestVerifyListsEveryBrokenFile(t *testing.T) {
	f := edit(t, fixture(t), map[string]string{
		"qualify/lead.rego":    "package qualify.lead\n\nx := \n",
		"qualify/routing.rego": "package qualify.routing\n\ny := [\n",
		"data.json":            "{]",
	})
	_, rep := newTestEngine(t, Options{}).Verify(context.Background(), f)
	files := map[string]bool{}
	for _, p := range rep.Problems {
		files[p.File] = true
	}
	for _, want := range []string{"qualify/lead.rego", "qualify/routing.rego", "data.json"} {
		if !files[want] {
			t.Errorf("%s not reported:\n%s", want, problemLines(rep.Problems))
		}
	}
}

func TestCheckAndRunTests(t *testing.T) {
	rep := Check(context.Background(), fixtureDir)
	if !rep.OK() {
		t.Fatalf("Check: %s", problemLines(rep.Problems))
	}
	if !strings.HasPrefix(rep.Tests[0].File, fixtureDir+"/qualify/") {
		t.Errorf("test file %q not prefixed with the directory", rep.Tests[0].File)
	}
	var out strings.Builder
	if err := rep.WriteText(&out, false); err != nil || !strings.Contains(out.String(), "13 passed, 0 failed") {
		t.Errorf("WriteText: %v\n%s", err, out.String())
	}

	dir := t.TempDir()
	writeTree(t, dir, edit(t, fixture(t), map[string]string{"qualify/lead.rego": "package qualify.lead\n\nx := [\n"}))
	rep = RunTests(context.Background(), dir)
	if rep.OK() || !strings.HasPrefix(rep.Problems[0].String(), dir+"/qualify/lead.rego:4: rego_parse_error") {
		t.Errorf("RunTests on a broken bundle: %s", problemLines(rep.Problems))
	}
	if rep := Check(context.Background(), dir+"/missing"); rep.OK() {
		t.Error("Check of a missing directory is OK")
	}
}

// Loading content that was just verified (a publish verifies its draft, then the watcher loads
// the same files) reuses that verification; the load's own facts (source, time, the Guard's
// refusal) stay its own.
func TestLoadReusesTheLastVerification(t *testing.T) {
	ctx := context.Background()
	files := fixture(t)
	refuse := true
	e := newTestEngine(t, Options{Guard: GuardFunc(func(context.Context, *Revision) error {
		if refuse {
			return errors.New("not now")
		}
		return nil
	})})
	verified, rep := e.Verify(ctx, files)
	if verified == nil {
		t.Fatalf("fixture refused: %v", rep.Problems)
	}
	if _, err := e.Load(ctx, files, "dir:x"); err == nil {
		t.Fatal("the Guard's refusal was not reported")
	}
	if again, rep := e.Verify(ctx, files); again == nil || !rep.OK() || len(rep.Problems) != 0 {
		t.Fatalf("the Guard's refusal leaked into the verification: %v", rep.Problems)
	}
	refuse = false
	loaded, err := e.Load(ctx, files, "dir:x")
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Source() != "dir:x" || loaded == verified || loaded.programs != verified.programs {
		t.Errorf("load did not reuse the verification (source %q)", loaded.Source())
	}
	if verified.Source() != "" {
		t.Errorf("the verified revision changed: source %q", verified.Source())
	}
}
