package irvm_test

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/qualify/qualify/internal/irvm"
)

// randomValue is a random ground ast value: scalars of every kind (integers spelled as integers
// and as floats, big ones), and arrays, objects and sets of them, with keys of mixed types.
func randomValue(rng *rand.Rand, depth int) ast.Value {
	scalars := []func() ast.Value{
		func() ast.Value { return ast.NullValue },
		func() ast.Value { return ast.Boolean(rng.IntN(2) == 0) },
		func() ast.Value { return ast.Number(strconv.Itoa(rng.IntN(7) - 3)) },
		func() ast.Value {
			return ast.Number([]string{"1.0", "2.5", "-0.5", "1e3", "9007199254740993", "3"}[rng.IntN(6)])
		},
		func() ast.Value { return ast.String([]string{"", "a", "b", "ab", "é", "code", "points"}[rng.IntN(7)]) },
	}
	if depth == 0 || rng.IntN(3) > 0 {
		return scalars[rng.IntN(len(scalars))]()
	}
	n := rng.IntN(4)
	switch rng.IntN(3) {
	case 0:
		terms := make([]*ast.Term, n)
		for i := range terms {
			terms[i] = ast.NewTerm(randomValue(rng, depth-1))
		}
		return ast.NewArray(terms...)
	case 1:
		obj := ast.NewObject()
		for range n {
			obj.Insert(ast.NewTerm(randomValue(rng, depth-1)), ast.NewTerm(randomValue(rng, depth-1)))
		}
		return obj
	}
	set := ast.NewSet()
	for range n {
		set.Add(ast.NewTerm(randomValue(rng, depth-1)))
	}
	return set
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// The plan's values order, compare and convert exactly as OPA's: sets, objects, sort and every
// comparison built-in depend on it.
func TestValuesOrderAsOPA(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		a, b := randomValue(rng, 3), randomValue(rng, 3)
		va, err := irvm.FromAST(a)
		if err != nil {
			t.Fatal(err)
		}
		vb, err := irvm.FromAST(b)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := sign(irvm.Compare(va, vb)), sign(ast.Compare(a, b)); got != want {
			t.Fatalf("Compare(%v, %v) = %d, OPA says %d", a, b, got, want)
		}
		if got, want := irvm.Equal(va, vb), ast.Compare(a, b) == 0; got != want {
			t.Fatalf("Equal(%v, %v) = %v, OPA says %v", a, b, got, want)
		}
		if back := irvm.ToAST(va); ast.Compare(back, a) != 0 || back.String() != a.String() {
			t.Fatalf("round trip of %v gave %v", a, back)
		}
	}
}

// Objects of one shape share their keys, and compare by their values alone.
func TestShapedObjectsOrderAsOPA(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	shape := irvm.NewShape("points", "code", "message")
	object := func() (irvm.Value, ast.Value) {
		vals := make([]irvm.Value, 3)
		obj := ast.NewObject()
		for i, k := range []string{"points", "code", "message"} {
			v := randomValue(rng, 1)
			vals[i], _ = irvm.FromAST(v)
			obj.Insert(ast.StringTerm(k), ast.NewTerm(v))
		}
		return shape.Object(vals...), obj
	}
	for range 5000 {
		va, a := object()
		vb, b := object()
		if got, want := sign(irvm.Compare(va, vb)), sign(ast.Compare(a, b)); got != want {
			t.Fatalf("Compare(%v, %v) = %d, OPA says %d", a, b, got, want)
		}
		if back := irvm.ToAST(va); back.String() != a.String() {
			t.Fatalf("%v became %v", a, back)
		}
	}
}
