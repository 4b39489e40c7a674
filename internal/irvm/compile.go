package irvm

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// program is a plan resolved for execution: string constants made into terms, calls bound to
// their function or built-in, and each function's frame size known.
type program struct {
	plan  *function
	funcs []*function
	data  *ast.Term
	files []string
}

type function struct {
	name    string
	params  []int
	ret     int
	blocks  [][]stmt
	nlocals int
	memo    bool // input and data only: the result is the same all evaluation long
	index   int
}

type op uint8

const (
	opReturn op = iota
	opCallFunc
	opCallBuiltin
	opBlock
	opBreak
	opDot
	opLen
	opScan
	opNot
	opAssign // AssignVar and AssignInt
	opAssignOnce
	opReset
	opMake // MakeNull, MakeNumberInt, MakeNumberRef: a constant
	opMakeArray
	opMakeObject
	opMakeSet
	opEqual
	opNotEqual
	opIsArray
	opIsObject
	opIsSet
	opIsDefined
	opIsUndefined
	opArrayAppend
	opObjectInsert
	opObjectInsertOnce
	opSetAdd
	opNop
	opResultSetAdd
	// A Make statement fused with the inserts that follow it: a literal built in one step.
	opArrayOf
	opObjectOf
	opSetOf
)

// operand is a local (term == nil) or a constant.
type operand struct {
	local int
	term  *ast.Term
}

type stmt struct {
	op       op
	a, b     operand
	target   int
	n        int // break index, array capacity
	blocks   [][]stmt
	key, val int
	fn       *function
	builtin  topdown.BuiltinFunc
	name     string
	args     []operand // call arguments; fused literal elements, keys and values alternating for objects
	distinct bool      // an object literal whose keys are distinct constants
	loc      *ast.Location
}

type compiler struct {
	p       *ir.Policy
	strings []*ast.Term
	funcs   map[string]*function
	files   []string
	max     int // highest local of the function being compiled
}

func compile(p *ir.Policy) (*program, error) {
	if p.Plans == nil || len(p.Plans.Plans) != 1 {
		return nil, fmt.Errorf("want one plan")
	}
	c := &compiler{p: p, funcs: map[string]*function{}}
	if p.Static != nil {
		for _, s := range p.Static.Strings {
			c.strings = append(c.strings, ast.StringTerm(s.Value))
		}
		for _, f := range p.Static.Files {
			c.files = append(c.files, f.Value)
		}
	}
	prog := &program{files: c.files}
	if p.Funcs != nil {
		// Declare every function first: calls may name functions defined later.
		for i, f := range p.Funcs.Funcs {
			fn := &function{name: f.Name, ret: int(f.Return), memo: len(f.Params) == 2, index: i}
			for _, a := range f.Params {
				fn.params = append(fn.params, int(a))
			}
			c.funcs[f.Name] = fn
			prog.funcs = append(prog.funcs, fn)
		}
		for i, f := range p.Funcs.Funcs {
			fn := prog.funcs[i]
			c.max = fn.ret
			for _, a := range fn.params {
				c.max = max(c.max, a)
			}
			blocks, err := c.blocks(f.Blocks)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			fn.blocks, fn.nlocals = blocks, c.max+1
		}
	}
	plan := p.Plans.Plans[0]
	c.max = int(ir.Data)
	blocks, err := c.blocks(plan.Blocks)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", plan.Name, err)
	}
	prog.plan = &function{name: plan.Name, blocks: blocks, nlocals: c.max + 1}
	return prog, nil
}

func (c *compiler) blocks(bs []*ir.Block) ([][]stmt, error) {
	out := make([][]stmt, len(bs))
	for i, b := range bs {
		s, err := c.block(b)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

func (c *compiler) local(l ir.Local) int {
	c.max = max(c.max, int(l))
	return int(l)
}

func (c *compiler) operand(o ir.Operand) (operand, error) {
	switch v := o.Value.(type) {
	case ir.Local:
		return operand{local: c.local(v)}, nil
	case ir.StringIndex:
		if int(v) >= len(c.strings) {
			return operand{}, fmt.Errorf("string %d out of range", v)
		}
		return operand{term: c.strings[v]}, nil
	case ir.Bool:
		return operand{term: ast.BooleanTerm(bool(v))}, nil
	}
	return operand{}, fmt.Errorf("operand %v", o.Value)
}

func (c *compiler) location(l ir.Location) *ast.Location {
	loc := &ast.Location{Row: l.Row, Col: l.Col}
	if l.File >= 0 && l.File < len(c.files) {
		loc.File = c.files[l.File]
	}
	return loc
}

func (c *compiler) block(b *ir.Block) ([]stmt, error) {
	out := make([]stmt, 0, len(b.Stmts))
	for i := 0; i < len(b.Stmts); i++ {
		if st, n, ok := c.literal(b.Stmts[i:]); ok {
			out = append(out, st)
			i += n - 1
			continue
		}
		st, err := c.stmt(b.Stmts[i])
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// literal fuses a Make statement with the inserts into its target that follow it, as the planner
// writes an array, object or set literal; it returns the fused statement and how many it covers.
// Allocating the collection once, at its final size, is most of what the plan evaluator saves
// over inserting element by element.
func (c *compiler) literal(ss []ir.Stmt) (stmt, int, bool) {
	var st stmt
	var target ir.Local
	switch s := ss[0].(type) {
	case *ir.MakeArrayStmt:
		st, target = stmt{op: opArrayOf}, s.Target
	case *ir.MakeObjectStmt:
		st, target = stmt{op: opObjectOf, distinct: true}, s.Target
	case *ir.MakeSetStmt:
		st, target = stmt{op: opSetOf}, s.Target
	default:
		return st, 0, false
	}
	st.target = c.local(target)
	isTarget := func(o ir.Operand) bool { l, ok := o.Value.(ir.Local); return ok && l == target }
	seen := map[string]bool{}
	n := 1
	for _, s := range ss[1:] {
		var ops []ir.Operand
		switch s := s.(type) {
		case *ir.ArrayAppendStmt:
			if st.op != opArrayOf || s.Array != target {
				break
			}
			ops = []ir.Operand{s.Value}
		case *ir.ObjectInsertStmt:
			if st.op != opObjectOf || s.Object != target {
				break
			}
			ops = []ir.Operand{s.Key, s.Value}
			if k, ok := s.Key.Value.(ir.StringIndex); !ok || seen[c.p.Static.Strings[k].Value] {
				st.distinct = false
			} else {
				seen[c.p.Static.Strings[k].Value] = true
			}
		case *ir.SetAddStmt:
			if st.op != opSetOf || s.Set != target {
				break
			}
			ops = []ir.Operand{s.Value}
		}
		if ops == nil || isTarget(ops[0]) || isTarget(ops[len(ops)-1]) {
			break
		}
		for _, o := range ops {
			x, err := c.operand(o)
			if err != nil {
				return st, 0, false
			}
			st.args = append(st.args, x)
		}
		n++
	}
	// A collection with nothing inserted right away is filled later (a comprehension): the
	// plain Make statement keeps it growable.
	return st, n, n > 1
}

func (c *compiler) stmt(s ir.Stmt) (stmt, error) {
	var err error
	two := func(a, b ir.Operand) (operand, operand) {
		x, e1 := c.operand(a)
		y, e2 := c.operand(b)
		if e1 != nil {
			err = e1
		} else if e2 != nil {
			err = e2
		}
		return x, y
	}
	one := func(a ir.Operand) operand {
		x, e := c.operand(a)
		if e != nil {
			err = e
		}
		return x
	}
	var st stmt
	switch s := s.(type) {
	case *ir.ReturnLocalStmt:
		st = stmt{op: opReturn, a: operand{local: c.local(s.Source)}}
	case *ir.CallStmt:
		st = stmt{target: c.local(s.Result), name: s.Func, loc: c.location(s.Location)}
		for _, a := range s.Args {
			st.args = append(st.args, one(a))
		}
		if fn, ok := c.funcs[s.Func]; ok {
			st.op, st.fn = opCallFunc, fn
		} else if bi := topdown.GetBuiltin(s.Func); bi != nil {
			st.op, st.builtin = opCallBuiltin, bi
		} else {
			return st, fmt.Errorf("call of %s: no such function or built-in", s.Func)
		}
	case *ir.BlockStmt:
		bs, e := c.blocks(s.Blocks)
		st, err = stmt{op: opBlock, blocks: bs}, e
	case *ir.BreakStmt:
		st = stmt{op: opBreak, n: int(s.Index)}
	case *ir.DotStmt:
		st = stmt{op: opDot, target: c.local(s.Target)}
		st.a, st.b = two(s.Source, s.Key)
	case *ir.LenStmt:
		st = stmt{op: opLen, a: one(s.Source), target: c.local(s.Target)}
	case *ir.ScanStmt:
		body, e := c.block(s.Block)
		st, err = stmt{op: opScan, a: operand{local: c.local(s.Source)}, key: c.local(s.Key), val: c.local(s.Value), blocks: [][]stmt{body}}, e
	case *ir.NotStmt:
		body, e := c.block(s.Block)
		st, err = stmt{op: opNot, blocks: [][]stmt{body}}, e
	case *ir.AssignIntStmt:
		st = stmt{op: opAssign, a: operand{term: ast.InternedTerm(int(s.Value))}, target: c.local(s.Target)}
	case *ir.AssignVarStmt:
		st = stmt{op: opAssign, a: one(s.Source), target: c.local(s.Target)}
	case *ir.AssignVarOnceStmt:
		st = stmt{op: opAssignOnce, a: one(s.Source), target: c.local(s.Target), loc: c.location(s.Location)}
	case *ir.ResetLocalStmt:
		st = stmt{op: opReset, target: c.local(s.Target)}
	case *ir.MakeNullStmt:
		st = stmt{op: opMake, a: operand{term: ast.NullTerm()}, target: c.local(s.Target)}
	case *ir.MakeNumberIntStmt:
		st = stmt{op: opMake, a: operand{term: ast.InternedTerm(int(s.Value))}, target: c.local(s.Target)}
	case *ir.MakeNumberRefStmt:
		if s.Index >= len(c.strings) {
			return st, fmt.Errorf("number %d out of range", s.Index)
		}
		n := ast.NewTerm(ast.Number(c.strings[s.Index].Value.(ast.String)))
		st = stmt{op: opMake, a: operand{term: n}, target: c.local(s.Target)}
	case *ir.MakeArrayStmt:
		st = stmt{op: opMakeArray, n: int(s.Capacity), target: c.local(s.Target)}
	case *ir.MakeObjectStmt:
		st = stmt{op: opMakeObject, target: c.local(s.Target)}
	case *ir.MakeSetStmt:
		st = stmt{op: opMakeSet, target: c.local(s.Target)}
	case *ir.EqualStmt:
		st = stmt{op: opEqual}
		st.a, st.b = two(s.A, s.B)
	case *ir.NotEqualStmt:
		st = stmt{op: opNotEqual}
		st.a, st.b = two(s.A, s.B)
	case *ir.IsArrayStmt:
		st = stmt{op: opIsArray, a: one(s.Source)}
	case *ir.IsObjectStmt:
		st = stmt{op: opIsObject, a: one(s.Source)}
	case *ir.IsSetStmt:
		st = stmt{op: opIsSet, a: one(s.Source)}
	case *ir.IsDefinedStmt:
		st = stmt{op: opIsDefined, a: operand{local: c.local(s.Source)}}
	case *ir.IsUndefinedStmt:
		st = stmt{op: opIsUndefined, a: operand{local: c.local(s.Source)}}
	case *ir.ArrayAppendStmt:
		st = stmt{op: opArrayAppend, a: one(s.Value), target: c.local(s.Array)}
	case *ir.ObjectInsertStmt:
		st = stmt{op: opObjectInsert, target: c.local(s.Object)}
		st.a, st.b = two(s.Key, s.Value)
	case *ir.ObjectInsertOnceStmt:
		st = stmt{op: opObjectInsertOnce, target: c.local(s.Object), loc: c.location(s.Location)}
		st.a, st.b = two(s.Key, s.Value)
	case *ir.SetAddStmt:
		st = stmt{op: opSetAdd, a: one(s.Value), target: c.local(s.Set)}
	case *ir.NopStmt:
		st = stmt{op: opNop}
	case *ir.ResultSetAddStmt:
		st = stmt{op: opResultSetAdd, a: operand{local: c.local(s.Value)}}
	default:
		// WithStmt, CallDynamicStmt and ObjectMergeStmt: not planned for the queries this
		// package serves; refusing them lets the caller use topdown instead.
		return st, fmt.Errorf("unsupported statement %T", s)
	}
	return st, err
}
