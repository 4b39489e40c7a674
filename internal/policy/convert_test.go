package policy

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"
	"github.com/qualify/qualify/internal/irvm"
)

// fill sets every field of v, recursively, to a distinct non-zero value, so that a field added to
// contract.go and forgotten by the hand-written converters or decoders fails these tests.
func fill(v reflect.Value, seed *int) {
	*seed++
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + strings.Repeat("x", *seed))
	case reflect.Int:
		v.SetInt(int64(*seed))
	case reflect.Float64:
		v.SetFloat(float64(*seed) + 0.25)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), seed)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		fill(v.Index(0), seed)
		fill(v.Index(1), seed)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), seed)
		}
	default:
		panic("fill: " + v.Kind().String())
	}
}

func filled[T any]() T {
	var x T
	seed := 0
	fill(reflect.ValueOf(&x).Elem(), &seed)
	return x
}

// viaJSON is what OPA would see with `rego.EvalInput(x)`: x through encoding/json.
func viaJSON(t *testing.T, x any) ast.Value {
	t.Helper()
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := util.UnmarshalJSON(b, &v); err != nil {
		t.Fatal(err)
	}
	val, err := ast.InterfaceToValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return val
}

func TestInputsMatchJSON(t *testing.T) {
	zeroLead := LeadInput{Contacts: []ContactFacts{}, Activities: []ActivityFacts{}, Projects: []ProjectFacts{}}
	cases := []struct {
		name string
		in   any
		got  ast.Value
	}{
		{"lead filled", filled[LeadInput](), nil},
		{"lead zero", zeroLead, nil},
		{"lead realistic", realisticLead(), nil},
		{"transition filled", filled[TransitionInput](), nil},
		{"transition zero", TransitionInput{Qualification: LeadDecision{Reasons: []Reason{}}}, nil},
		{"routing filled", filled[RoutingInput](), nil},
		{"routing without account", RoutingInput{To: "sal"}, nil},
		{"authz filled", filled[AuthzInput](), nil},
		{"schedule filled", filled[ScheduleInput](), nil},
		{"schedule zero", ScheduleInput{Activities: []ActivityFacts{}, Escalated: []string{}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got irvm.Value
			switch in := tc.in.(type) {
			case LeadInput:
				got = leadInputValue(&in)
			case TransitionInput:
				got = transitionInputValue(&in)
			case RoutingInput:
				got = routingInputValue(&in)
			case AuthzInput:
				got = authzInputValue(&in)
			case ScheduleInput:
				got = scheduleInputValue(&in)
			}
			if want := viaJSON(t, tc.in); irvm.ToAST(got).Compare(want) != 0 {
				t.Errorf("hand-built input differs from encoding/json\n got %v\nwant %v", got, want)
			}
		})
	}
	// The one deliberate difference: nil slices are [] for the policy, not null.
	v := leadInputValue(&LeadInput{})
	for _, k := range []string{"contacts", "activities", "projects"} {
		if got := v.(*irvm.Object).Get(k); got == nil || irvm.Compare(got, irvm.NewArray()) != 0 {
			t.Errorf("%s = %v, want []", k, got)
		}
	}
}

func TestDecodersMatchJSON(t *testing.T) {
	check := func(name string, want any, decode func(irvm.Value) (any, error)) {
		t.Run(name, func(t *testing.T) {
			v, err := irvm.FromAST(viaJSON(t, want))
			if err != nil {
				t.Fatal(err)
			}
			got, err := decode(v)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decoded\n got %+v\nwant %+v", got, want)
			}
		})
	}
	check("lead", filled[LeadDecision](), func(v irvm.Value) (any, error) { return decodeLeadDecision(v) })
	check("transition", filled[TransitionDecision](), func(v irvm.Value) (any, error) { return decodeTransitionDecision(v) })
	check("routing", filled[RoutingDecision](), func(v irvm.Value) (any, error) { return decodeRoutingDecision(v) })
	check("authz", filled[AuthzDecision](), func(v irvm.Value) (any, error) { return decodeAuthzDecision(v) })
	check("schedule", filled[ScheduleDecision](), func(v irvm.Value) (any, error) { return decodeScheduleDecision(v) })
	check("stages", []Stage{filled[Stage](), filled[Stage]()}, func(v irvm.Value) (any, error) { return decodeStages(v) })
}

func TestDecodeStrictly(t *testing.T) {
	const ok = `"allow": true, "row_filter": "all"`
	cases := []struct {
		rego string // an authz decision as a Rego term
		want string // error substring, "" for success
	}{
		{`{` + ok + `, "redact": []}`, ""},
		{`{` + ok + `, "redact": {"contact.phone", "contact.email"}}`, ""}, // a set, as `redact contains x if …` makes
		{`{` + ok + `, "redact": [], "reason": "r"}`, ""},                  // optional key
		{`{` + ok + `}`, `missing key "redact"`},
		{`{` + ok + `, "redact": [], "extra": 1}`, `unexpected key "extra"`},
		{`{` + ok + `, "redact": [1]}`, `redact[0]: want a string, got number 1`},
		{`{"allow": "yes", "row_filter": "all", "redact": []}`, `allow: want a boolean, got string "yes"`},
		{`[1]`, "want an object, got array"},
		{`{1: 2}`, "key 1 is not a string"},
	}
	for _, tc := range cases {
		v, err := irvm.FromAST(ast.MustParseTerm(tc.rego).Value)
		if err != nil {
			t.Fatal(err)
		}
		_, err = decodeAuthzDecision(v)
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: err = %v, want %q", tc.rego, err, tc.want)
		}
	}

	ints := []struct {
		num  string
		want int
		ok   bool
	}{{"12", 12, true}, {"12.0", 12, true}, {"1.2e1", 12, true}, {"-3", -3, true}, {"12.5", 0, false}, {"1e300", 0, false}}
	for _, tc := range ints {
		var n int
		err := setInt(&n, irvm.Number(ast.Number(tc.num)))
		if (err == nil) != tc.ok || n != tc.want {
			t.Errorf("setInt(%s) = %d, %v", tc.num, n, err)
		}
	}
}

func TestFiles(t *testing.T) {
	a, err := NewFiles(map[string][]byte{"./data.json": []byte("{}"), "x/y.rego": []byte("package x.y"), "README.md": []byte("no")})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(a.Paths(), ","); got != "data.json,x/y.rego" {
		t.Errorf("paths = %s", got)
	}
	b, _ := NewFiles(map[string][]byte{"x/y.rego": []byte("package x.y"), "data.json": []byte("{}")})
	c, _ := NewFiles(map[string][]byte{"x/y.rego": []byte("package x.y{}"), "data.json": nil})
	if a.Hash() != b.Hash() || a.Hash() == c.Hash() || len(a.Hash()) != 64 {
		t.Errorf("hashes %s %s %s", a.Hash(), b.Hash(), c.Hash())
	}
	for _, bad := range []string{"../x.rego", "a/../../x.rego", ""} {
		if _, err := NewFiles(map[string][]byte{bad: nil}); err == nil {
			t.Errorf("path %q accepted", bad)
		}
	}
}
