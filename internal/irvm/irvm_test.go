package irvm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/qualify/qualify/internal/irvm"
)

// The plan evaluator must give exactly what topdown gives: every case evaluates each input on
// both and compares the results, errors included.
func TestAgreesWithTopdown(t *testing.T) {
	cases := []struct {
		name, module, data string
		queries, inputs    []string
	}{
		{"else chain and defaults", `package p
default grade := "D"
grade := "A" if input.score >= 80
else := "B" if input.score >= 50
else := "C" if input.score >= 20`, `{}`, []string{`data.p.grade`},
			[]string{`{"score": 90}`, `{"score": 50}`, `{"score": 20}`, `{"score": 3}`, `{}`, `{"score": "x"}`}},
		{"comprehensions over arrays objects and sets", `package p
pts := [p | some a in input.acts; a.at >= input.cut; p := data.points[a.kind]]
kinds := {a.kind | some a in input.acts}
by_kind := {k: n | some k in kinds; n := count([1 | some a in input.acts; a.kind == k])}
total := sum(pts)
keys := [k | some k, _ in data.points]
members := [x | some x in {"b", "a", "c"}]`, `{"points": {"web": 1, "demo": 10, "call": 5}}`,
			[]string{`data.p.pts`, `data.p.kinds`, `data.p.by_kind`, `data.p.total`, `data.p.keys`, `data.p.members`},
			[]string{
				`{"cut": "2025-01-05", "acts": [{"kind": "web", "at": "2025-01-06"}, {"kind": "demo", "at": "2025-01-01"}, {"kind": "call", "at": "2025-02-01"}, {"kind": "nope", "at": "2025-03-01"}]}`,
				`{"cut": "2025-01-05", "acts": []}`, `{}`, `{"acts": "not a list"}`,
			}},
		{"every, not, in, functions", `package p
all_fresh if every a in input.acts { a.at >= "2025" }
none if not any_demo
any_demo if { some a in input.acts; a.kind == "demo" }
double(x) := 2 * x
double_all := [y | some x in input.nums; y := double(x)]
f(x) := "small" if x < 10
else := "big"
sizes := [f(x) | some x in input.nums]
has_three := 3 in input.nums`, `{}`,
			[]string{`data.p.all_fresh`, `data.p.none`, `data.p.double_all`, `data.p.sizes`, `data.p.has_three`},
			[]string{`{"acts": [{"kind": "demo", "at": "2026"}], "nums": [1, 20, 3.5]}`, `{"acts": [{"kind": "web", "at": "2024"}], "nums": []}`, `{}`}},
		{"partial rules, object.get, strings, sprintf", `package p
tags contains t if { some t in input.tags; startswith(t, "x") }
labels[k] := upper(v) if some k, v in input.labels
region := object.get(input, ["account", "region"], "none")
msg := sprintf("%d of %s", [count(tags), concat(",", sort(tags))])
first := input.list[0]
n := count(input.list)`, `{}`,
			[]string{`data.p.tags`, `data.p.labels`, `data.p.region`, `data.p.msg`, `data.p.first`, `data.p.n`},
			[]string{`{"tags": ["xa", "b", "xb", "xa"], "labels": {"a": "é", "b": "z"}, "account": {"region": "emea"}, "list": [7, 8]}`, `{"list": []}`, `{}`}},
		{"literals with computed and duplicate keys", `package p
obj := {input.a: 1, input.b: 2}
arr := [input.a, input.b, {"k": input.a}]
set := {input.a, input.b}`, `{}`, []string{`data.p.obj`, `data.p.arr`, `data.p.set`},
			[]string{`{"a": "x", "b": "y"}`, `{"a": "x", "b": "x"}`, `{"a": 1}`}},
		{"conflict and built-in errors", `package p
v := 1 if input.a
v := 2 if input.b
q := 1 / input.d
r := to_number(input.s)`, `{}`, []string{`data.p.v`, `data.p.q`, `data.p.r`},
			[]string{`{"a": true}`, `{"a": true, "b": true}`, `{"d": 0, "s": "x"}`, `{"d": 4, "s": "12"}`}},
		{"data only and nested refs", `package p
import rego.v1
x := data.cfg.levels[input.i].name
ys := [l.name | some l in data.cfg.levels; l.min <= input.n]`, `{"cfg": {"levels": [{"name": "low", "min": 0}, {"name": "high", "min": 10}]}}`,
			[]string{`data.p.x`, `data.p.ys`, `data.cfg.levels[1]`},
			[]string{`{"i": 1, "n": 5}`, `{"i": 7, "n": 50}`, `{"i": "a"}`}},
		{"built-ins on their native path and off it", `package p
import rego.v1
sum_ := sum(input.ns)
max_ := max(input.ns)
min_ := min(input.ns)
sorted := sort(input.mixed)
arith := [input.a + input.b, input.a - input.b, input.a * input.b, input.a / input.b, input.a % input.b]
cmp := [input.a < input.b, input.a >= input.b, input.a == input.b, input.a != input.b]
member := [input.a in input.ns, input.a in {"x": input.b}, ["k", input.b] in {"k": input.b}, 1 in "abc"]
joined := concat("-", input.strs)
fmt := format_int(input.a, 10)
got := [object.get(input.obj, "k", "d"), object.get(input.obj, ["k", "j"], "d"), object.get(input.obj, "none", 0)]
kinds := [is_number(input.a), is_string(input.a), is_object(input.obj), is_array(input.ns), is_set(input.ns), is_null(input.z), is_boolean(true)]
sizes := [count(input.strs), count("héllo"), count(input.obj)]
texts := [upper("aé"), lower("AÉ"), trim_space("  x ")]
keys := [k | some k, _ in input.byk]
elems := [e | some e in {x | some x in input.mixed}]
cat := array.concat(input.ns, input.strs)
fmts := [sprintf("%d of %s, %q %v", [input.a, "x", "y", input.b]), sprintf("%s|%v", [input.ns, input.obj]), sprintf("%d", [1.5])]
times := [time.format(time.add_date(time.parse_rfc3339_ns(input.t), 0, 1, -30)), time.format([0, "UTC"]), time.format(input.a)]
bad_time := time.parse_rfc3339_ns("2025-02-30T00:00:00Z")
zeros := [0 / input.b, 0 / -1, input.a % 3]
index := [input.ns[input.a], object.get(input, ["ns", input.a], "d")]
paths := [object.get(input.obj, [], "d"), object.get(input.byk, ["a"], "d"), object.get(input, ["ns", 1], "d"), object.get(input, ["mixed", 0, "b"], "d")]`, `{}`,
			[]string{`data.p.sum_`, `data.p.max_`, `data.p.min_`, `data.p.sorted`, `data.p.arith`, `data.p.cmp`, `data.p.member`,
				`data.p.joined`, `data.p.fmt`, `data.p.got`, `data.p.kinds`, `data.p.sizes`, `data.p.texts`, `data.p.keys`, `data.p.elems`, `data.p.cat`, `data.p.fmts`, `data.p.paths`, `data.p.times`, `data.p.bad_time`, `data.p.zeros`, `data.p.index`},
			[]string{
				`{"ns": [3, 1, 2], "mixed": [{"b": 1}, "s", 2, null, [1], true, {"a": 2}, 1.5, {1, 2}, {"a": 1, "b": 0}], "a": 7, "b": 2, "strs": ["x", "y"], "obj": {"k": {"j": 1}}, "byk": {"b": 1, "a": 2, "1": 3, "c": 4}, "z": null, "t": "2025-03-03T09:00:00Z"}`,
				`{"ns": [1.5, 2, 1.0], "mixed": [1, 1.0, 0.5, -3], "a": 1.0, "b": 1, "strs": ["x", 1], "obj": {"k": 1}, "byk": {}, "t": "2025-03-31T23:30:00.5+02:00"}`,
				`{"ns": [9007199254740993, 9007199254740993], "mixed": [], "a": 2147483648, "b": 2147483647, "strs": [], "obj": {}, "byk": {"x": 1}, "t": "not a time"}`,
				`{"ns": [], "mixed": ["b", "a"], "a": 6, "b": 0, "strs": "ab", "obj": [], "byk": []}`,
				`{"ns": {3, 1}, "a": -7, "b": 2, "strs": {"b", "a"}}`,
				// Integers past the int32 window: nanosecond times, and int64 overflows.
				`{"ns": [1733356800000000000, 86400000000000], "a": 1733356800000000000, "b": -86400000000000}`,
				`{"a": 9223372036854775807, "b": 9223372036854775807}`,
				`{"a": -9223372036854775808, "b": -1}`,
				`{"a": 4294967296, "b": -4294967296}`,
			}},
		{"times in zones", `package p
import rego.v1
zoned := [time.weekday([input.n, input.tz]), time.date([input.n, input.tz]), time.clock([input.n, input.tz])]
utc := [time.weekday(input.n), time.date([input.n, ""]), time.clock([input.n, "UTC"])]
odd := [time.date(input.v), time.clock(input.v), time.weekday(input.v)]
ranges := [numbers.range(1, input.k), numbers.range(input.k, -2), numbers.range(input.k, input.k)]`, `{}`,
			[]string{`data.p.zoned`, `data.p.utc`, `data.p.odd`, `data.p.ranges`},
			[]string{
				`{"n": 1774872000000000000, "tz": "Europe/Berlin", "v": [1774872000000000000], "k": 14}`, // 2026-03-30, clocks gone forward
				`{"n": 1764547200000000000, "tz": "America/New_York", "v": [1764547200000000000, "Asia/Tokyo", "2006"], "k": -5}`,
				`{"n": -86400000000000, "tz": "Asia/Kolkata", "v": [], "k": 1.5}`,
				`{"n": 1764547200000000000, "tz": "Not/A_Zone", "v": ["UTC", 1764547200000000000], "k": 70000}`,
				`{"n": 1764547200000000000, "tz": "Local", "v": 1.5e18, "k": 1}`,
				`{"n": 1.5e18, "tz": "", "v": "x"}`,
				`{"n": "x", "tz": 3, "v": [1764547200000000000, 3]}`,
			}},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var data map[string]any
			if err := util.UnmarshalJSON([]byte(tc.data), &data); err != nil {
				t.Fatal(err)
			}
			for _, query := range tc.queries {
				td := prepare(t, tc.module, data, query, "rego")
				var prog *irvm.Program
				vm := prepareCapture(t, tc.module, data, query, irvm.Target, &prog)
				for _, in := range tc.inputs {
					input := ast.MustParseTerm(in).Value
					want, werr := eval(ctx, td, input)
					got, gerr := eval(ctx, vm, input)
					if errors.Is(gerr, irvm.ErrUnplanned) {
						continue // the plan steps aside: its caller asks topdown
					}
					if (werr == nil) != (gerr == nil) {
						t.Fatalf("%s, input %s: topdown error %v, plan error %v", query, in, werr, gerr)
					}
					if werr == nil && ast.Compare(want, got) != 0 {
						t.Errorf("%s, input %s:\n topdown %v\n plan    %v", query, in, want, got)
					}
					// The same plan evaluated directly, without rego's result set.
					in, err := irvm.FromAST(input)
					if err != nil {
						t.Fatal(err)
					}
					native, ok, derr := prog.Eval(ctx, in, irvm.Options{})
					var direct ast.Value = ast.NullValue
					if ok && derr == nil {
						direct = irvm.ToAST(native)
					}
					if (derr == nil) != (werr == nil) || (derr == nil && ast.Compare(want, direct) != 0) {
						t.Errorf("%s, input %s: direct %v %v, topdown %v %v", query, in, direct, derr, want, werr)
					}
				}
			}
		})
	}
}

func prepare(t *testing.T, module string, data map[string]any, query, target string) rego.PreparedEvalQuery {
	t.Helper()
	var prog *irvm.Program
	return prepareCapture(t, module, data, query, target, &prog)
}

func prepareCapture(t *testing.T, module string, data map[string]any, query, target string, prog **irvm.Program) rego.PreparedEvalQuery {
	t.Helper()
	ctx := irvm.Capture(irvm.WithData(context.Background(), ast.MustInterfaceToValue(data)), prog)
	pq, err := rego.New(rego.Query(query), rego.Module("p.rego", module), rego.Store(inmem.NewFromObject(data)),
		rego.Target(target)).PrepareForEval(ctx)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	return pq
}

func eval(ctx context.Context, pq rego.PreparedEvalQuery, input ast.Value, opts ...rego.EvalOption) (ast.Value, error) {
	rs, err := pq.Eval(ctx, append(opts, rego.EvalParsedInput(input), raw)...)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return ast.NullValue, nil // undefined, told apart from a null result by no test here
	}
	return rs[0].Expressions[0].Value.(ast.Value), nil
}

// raw keeps results as AST values, so that sets stay sets.
var raw = rego.EvalGenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t.Value, nil })

func TestRefusesWhatItDoesNotRun(t *testing.T) {
	ctx := irvm.WithData(context.Background(), ast.NewObject())
	_, err := rego.New(rego.Query("data.p.x"), rego.Module("p.rego", `package p
f := input.a
x if { f with input.a as 1 }`), rego.Target(irvm.Target)).PrepareForEval(ctx)
	if err == nil || !strings.Contains(err.Error(), "unsupported statement") {
		t.Fatalf("want the with statement refused, got %v", err)
	}
	_, err = rego.New(rego.Query("data.p.x"), rego.Module("p.rego", "package p\nx := 1"), rego.Target(irvm.Target)).
		PrepareForEval(context.Background())
	if !errors.Is(err, irvm.ErrNoData) {
		t.Fatalf("want ErrNoData without data, got %v", err)
	}
}

func TestStopsOnCancel(t *testing.T) {
	pq := prepare(t, `package p
n := count([x | some x in numbers.range(1, 50000000); x % 7 == 0])`, map[string]any{}, "data.p.n", irvm.Target)
	cancel := topdown.NewCancel()
	time.AfterFunc(50*time.Millisecond, cancel.Cancel)
	start := time.Now()
	_, err := eval(context.Background(), pq, ast.NewObject(), rego.EvalExternalCancel(cancel))
	if !topdown.IsCancel(err) {
		t.Fatalf("want a cancel error, got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancel took %s", d)
	}
}

// A scan over nothing leaves the statements after it running: here the count after the scan.
func TestEmptyScanContinues(t *testing.T) {
	pq := prepare(t, `package p
n := x if {
	every a in input.xs { a > 0 }
	x := count(input.xs)
}`, map[string]any{}, "data.p.n", irvm.Target)
	for in, want := range map[string]string{`{"xs": []}`: "0", `{"xs": [1, 2]}`: "2", `{"xs": {}}`: "0"} {
		got, err := eval(context.Background(), pq, ast.MustParseTerm(in).Value)
		if err != nil || got.String() != want {
			t.Errorf("%s: got %v %v, want %s", in, got, err, want)
		}
	}
}

// A rule over data alone is computed once per program; one that reads the input or the clock is
// computed per evaluation.
func TestStaticRulesAndTheClock(t *testing.T) {
	const module = `package p
import rego.v1
names := {n | some n in data.names}
known if input.name in names
late if time.now_ns() > data.cutoff
d := {"known": known, "late": late, "names": count(names)} if true
default known := false
default late := false`
	data := map[string]any{"names": []any{"ann", "bob"}, "cutoff": 1_700_000_000_000_000_000}
	var prog *irvm.Program
	prepareCapture(t, module, data, "data.p.d", irvm.Target, &prog)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		at   time.Time
		want string
	}{
		{"ann", time.Unix(0, 1_600_000_000_000_000_000), `{"known": true, "late": false, "names": 2}`},
		{"eve", time.Unix(0, 1_600_000_000_000_000_000), `{"known": false, "late": false, "names": 2}`},
		{"bob", time.Unix(0, 1_800_000_000_000_000_000), `{"known": true, "late": true, "names": 2}`},
		{"eve", time.Unix(0, 1_800_000_000_000_000_000), `{"known": false, "late": true, "names": 2}`},
	} {
		in, _ := irvm.FromAST(ast.MustParseTerm(`{"name": "` + tc.name + `"}`).Value)
		got, ok, err := prog.Eval(ctx, in, irvm.Options{Time: tc.at})
		if err != nil || !ok || irvm.ToAST(got).Compare(ast.MustParseTerm(tc.want).Value) != 0 {
			t.Errorf("%s at %d: got %v %v %v, want %s", tc.name, tc.at.UnixNano(), got, ok, err, tc.want)
		}
	}
}
