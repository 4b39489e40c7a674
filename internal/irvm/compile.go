package irvm

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// program is a plan resolved for execution: string constants made into terms, calls bound to
// their function or built-in, and each function's frame size known.
type program struct {
	plan   *function
	funcs  []*function
	data   Value
	files  []string
	static []atomic.Pointer[staticResult] // per function: the result of a static one, once known
	calls  []string                       // the built-ins the plan calls, sorted
}

type staticResult struct{ v Value }

type function struct {
	name    string
	params  []int
	ret     int
	blocks  [][]stmt
	nlocals int
	memo    bool // input and data only: the result is the same all evaluation long
	index   int
	// static: memo, and neither it nor anything it calls reads the input or calls an impure
	// built-in, so its result is the same for every evaluation of the program (a rule over data
	// alone, such as the stage table), and is computed once.
	static bool
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

// operand is a local (val == nil) or a constant.
type operand struct {
	local int
	val   Value
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
	native   native // the built-in's own implementation here, if it has one
	name     string
	args     []operand // call arguments; fused literal elements; an object's keys and values alternating, or its values in key order when keys is set
	keys     *keyList  // an object literal's keys when they are distinct constant strings
	input    bool      // reads the input, other than by handing it on to a rule as its input
	// dataKey: a Dot into base data by a computed key. Topdown reads base data from the store
	// by path, where 2 finds the key "2" and "1" the index 1; the plan compares keys as values.
	// Such a lookup that misses is left to topdown (errUnplanned).
	dataKey  bool
	relation bool // a built-in with several outputs (walk): the plan scans all of them
	loc      *ast.Location
}

type compiler struct {
	p       *ir.Policy
	strings []Value
	funcs   map[string]*function
	files   []string
	shapes  map[string]*keyList // sorted keys of object literals, by their names
	max     int                 // highest local of the function being compiled
	input   bool                // the statement being compiled reads the input
	// fromData are the locals of the function being compiled that hold base data: data itself
	// and what Dot, assignments and scans take from it.
	fromData map[int]bool
	calls    map[string]bool
}

func compile(p *ir.Policy) (*program, error) {
	if p.Plans == nil || len(p.Plans.Plans) != 1 {
		return nil, fmt.Errorf("want one plan")
	}
	c := &compiler{p: p, funcs: map[string]*function{}, shapes: map[string]*keyList{}, calls: map[string]bool{}}
	if p.Static != nil {
		for _, s := range p.Static.Strings {
			c.strings = append(c.strings, s.Value)
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
			c.fromData = map[int]bool{}
			if len(fn.params) >= 2 { // the planner hands every function input and data first
				c.fromData[fn.params[1]] = true
			}
			blocks, err := c.blocks(f.Blocks)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			fn.blocks, fn.nlocals = blocks, c.max+1
		}
	}
	markStatic(prog.funcs)
	prog.static = make([]atomic.Pointer[staticResult], len(prog.funcs))
	plan := p.Plans.Plans[0]
	c.max = int(ir.Data)
	c.fromData = map[int]bool{int(ir.Data): true}
	blocks, err := c.blocks(plan.Blocks)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", plan.Name, err)
	}
	prog.plan = &function{name: plan.Name, blocks: blocks, nlocals: c.max + 1}
	for name := range c.calls {
		prog.calls = append(prog.calls, name)
	}
	slices.Sort(prog.calls)
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

// source is a local the statement reads.
func (c *compiler) source(l ir.Local) int {
	c.input = c.input || l == ir.Input
	return c.local(l)
}

func (c *compiler) operand(o ir.Operand) (operand, error) {
	switch v := o.Value.(type) {
	case ir.Local:
		return operand{local: c.source(v)}, nil
	case ir.StringIndex:
		if int(v) >= len(c.strings) {
			return operand{}, fmt.Errorf("string %d out of range", v)
		}
		return operand{val: c.strings[v]}, nil
	case ir.Bool:
		return operand{val: bool(v)}, nil
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
	outer := c.input
	defer func() { c.input = outer }()
	out := make([]stmt, 0, len(b.Stmts))
	for i := 0; i < len(b.Stmts); i++ {
		c.input = false
		if st, n, ok := c.literal(b.Stmts[i:]); ok {
			st.input = c.input
			out = append(out, st)
			i += n - 1
			continue
		}
		c.input = false
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
		st, target = stmt{op: opObjectOf}, s.Target
	case *ir.MakeSetStmt:
		st, target = stmt{op: opSetOf}, s.Target
	default:
		return st, 0, false
	}
	st.target = c.local(target)
	isTarget := func(o ir.Operand) bool { l, ok := o.Value.(ir.Local); return ok && l == target }
	distinct, seen := true, map[string]bool{}
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
				distinct = false
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
	if st.op == opObjectOf && distinct {
		c.sortLiteral(&st)
	}
	// A collection with nothing inserted right away is filled later (a comprehension): the
	// plain Make statement keeps it growable.
	return st, n, n > 1
}

// sortLiteral turns the alternating keys and values of an object literal with distinct constant
// string keys into its sorted keys and the values in their order: the object is then built
// without a single comparison, sharing its keys with every other evaluation.
func (c *compiler) sortLiteral(st *stmt) {
	type item struct {
		key string
		val operand
	}
	items := make([]item, 0, len(st.args)/2)
	for i := 0; i < len(st.args); i += 2 {
		items = append(items, item{st.args[i].val.(string), st.args[i+1]})
	}
	slices.SortFunc(items, func(a, b item) int { return strings.Compare(a.key, b.key) })
	names := make([]string, len(items))
	st.args = make([]operand, len(items))
	for i, it := range items {
		names[i], st.args[i] = it.key, it.val
	}
	// Literals with the same keys share them, which lets Compare skip the keys.
	id := strings.Join(names, "\x00")
	if c.shapes[id] == nil {
		c.shapes[id] = newKeyList(names)
	}
	st.keys = c.shapes[id]
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
		st = stmt{op: opReturn, a: operand{local: c.source(s.Source)}}
	case *ir.CallStmt:
		st = stmt{target: c.local(s.Result), name: s.Func, loc: c.location(s.Location)}
		fn := c.funcs[s.Func]
		for i, a := range s.Args {
			reads := c.input
			st.args = append(st.args, one(a))
			if l, ok := a.Value.(ir.Local); ok && l == ir.Input && fn != nil && i < len(fn.params) && fn.params[i] == int(ir.Input) {
				c.input = reads // the callee's reads of its input are the callee's
			}
		}
		if fn != nil {
			st.op, st.fn = opCallFunc, fn
		} else if bi := topdown.GetBuiltin(s.Func); bi != nil {
			st.op, st.builtin, st.native = opCallBuiltin, bi, natives[s.Func]
			st.relation = ast.BuiltinMap[s.Func] != nil && ast.BuiltinMap[s.Func].Relation
			c.calls[s.Func] = true
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
		if src, ok := s.Source.Value.(ir.Local); ok && c.fromData[int(src)] {
			c.fromData[st.target] = true
			_, computed := s.Key.Value.(ir.Local)
			st.dataKey = computed
		}
	case *ir.LenStmt:
		st = stmt{op: opLen, a: one(s.Source), target: c.local(s.Target)}
	case *ir.ScanStmt:
		if c.fromData[int(s.Source)] {
			c.fromData[int(s.Value)] = true
		}
		body, e := c.block(s.Block)
		st, err = stmt{op: opScan, a: operand{local: c.source(s.Source)}, key: c.local(s.Key), val: c.local(s.Value), blocks: [][]stmt{body}}, e
	case *ir.NotStmt:
		body, e := c.block(s.Block)
		st, err = stmt{op: opNot, blocks: [][]stmt{body}}, e
	case *ir.AssignIntStmt:
		st = stmt{op: opAssign, a: operand{val: s.Value}, target: c.local(s.Target)}
	case *ir.AssignVarStmt:
		st = stmt{op: opAssign, a: one(s.Source), target: c.local(s.Target)}
		if src, ok := s.Source.Value.(ir.Local); ok && c.fromData[int(src)] {
			c.fromData[st.target] = true
		}
	case *ir.AssignVarOnceStmt:
		st = stmt{op: opAssignOnce, a: one(s.Source), target: c.local(s.Target), loc: c.location(s.Location)}
	case *ir.ResetLocalStmt:
		st = stmt{op: opReset, target: c.local(s.Target)}
	case *ir.MakeNullStmt:
		st = stmt{op: opMake, a: operand{val: Null}, target: c.local(s.Target)}
	case *ir.MakeNumberIntStmt:
		st = stmt{op: opMake, a: operand{val: s.Value}, target: c.local(s.Target)}
	case *ir.MakeNumberRefStmt:
		if s.Index >= len(c.strings) {
			return st, fmt.Errorf("number %d out of range", s.Index)
		}
		n := Number(ast.Number(c.strings[s.Index].(string)))
		st = stmt{op: opMake, a: operand{val: n}, target: c.local(s.Target)}
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
		st = stmt{op: opIsDefined, a: operand{local: c.source(s.Source)}}
	case *ir.IsUndefinedStmt:
		st = stmt{op: opIsUndefined, a: operand{local: c.source(s.Source)}}
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
		st = stmt{op: opResultSetAdd, a: operand{local: c.source(s.Value)}}
	default:
		// WithStmt, CallDynamicStmt and ObjectMergeStmt: not planned for the queries this
		// package serves; refusing them lets the caller use topdown instead.
		return st, fmt.Errorf("unsupported statement %T", s)
	}
	st.input = c.input
	return st, err
}

// markStatic finds the static functions: those that read no input (local 0, as the planner
// passes it to rules) and call only natives (pure built-ins) and functions that read no input.
func markStatic(funcs []*function) {
	free := make(map[*function]bool, len(funcs))
	for _, fn := range funcs {
		free[fn] = true
	}
	for changed := true; changed; {
		changed = false
		for _, fn := range funcs {
			if free[fn] && !inputFree(fn.blocks, free) {
				free[fn], changed = false, true
			}
		}
	}
	for _, fn := range funcs {
		fn.static = fn.memo && free[fn]
	}
}

func inputFree(blocks [][]stmt, free map[*function]bool) bool {
	for _, b := range blocks {
		for i := range b {
			s := &b[i]
			if s.input {
				return false
			}
			switch s.op {
			case opCallFunc:
				if !free[s.fn] {
					return false
				}
			case opCallBuiltin:
				if s.native == nil {
					return false
				}
			}
			if !inputFree(s.blocks, free) {
				return false
			}
		}
	}
	return true
}
