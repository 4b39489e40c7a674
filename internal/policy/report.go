package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Problem is one reason a bundle is refused, located where possible. File is relative to the
// bundle root ("qualify/lead/score.rego"); Row and Col are 1-based, 0 when unknown.
type Problem struct {
	File    string `json:"file,omitempty"`
	Row     int    `json:"row,omitempty"`
	Col     int    `json:"col,omitempty"`
	Message string `json:"message"`
}

// String formats the problem as compilers do, "file:row:col: message", leaving out what is unknown.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Row > 0 {
			b.WriteString(":" + strconv.Itoa(p.Row))
			if p.Col > 0 {
				b.WriteString(":" + strconv.Itoa(p.Col))
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// TestResult is one `test_` rule of the bundle's _test.rego files.
type TestResult struct {
	Package  string        `json:"package"` // e.g. "data.qualify.lead_test"
	Name     string        `json:"name"`    // e.g. "test_hot_lead_is_mql"
	File     string        `json:"file"`
	Row      int           `json:"row"`
	Pass     bool          `json:"pass"`
	Skip     bool          `json:"skip,omitempty"` // todo_ tests
	Duration time.Duration `json:"duration"`
	Output   string        `json:"output,omitempty"` // what the test print()ed
	Error    string        `json:"error,omitempty"`  // set when the test errored rather than was false
}

// String is the line `opa test` would print for the result.
func (t TestResult) String() string {
	outcome := "PASS"
	switch {
	case t.Skip:
		outcome = "SKIPPED"
	case t.Error != "":
		outcome = "ERROR: " + t.Error
	case !t.Pass:
		outcome = "FAIL"
	}
	return fmt.Sprintf("%s:%d: %s.%s: %s (%s)", t.File, t.Row, t.Package, t.Name, outcome, t.Duration.Round(time.Microsecond))
}

// Report is what verifying a bundle found. It is complete on its own, so the API can return it
// for a draft (validatePolicy, testPolicy) without anything being activated.
type Report struct {
	Revision string       `json:"revision"` // from .manifest, "" when it has none
	Hash     string       `json:"hash"`
	Problems []Problem    `json:"problems"`
	Tests    []TestResult `json:"tests"`
	// Coverage is measured by Engine.Test only; nil elsewhere and when no test ran.
	Coverage *TestCoverage `json:"coverage,omitempty"`
	Duration time.Duration `json:"duration"`
}

// OK reports whether the bundle passed every step that ran.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Passed and Failed count the tests (skipped tests count as neither).
func (r *Report) Passed() int { return r.count(func(t TestResult) bool { return t.Pass && !t.Skip }) }

// Failed counts failed or errored tests.
func (r *Report) Failed() int { return r.count(func(t TestResult) bool { return !t.Pass && !t.Skip }) }

func (r *Report) count(f func(TestResult) bool) int {
	n := 0
	for _, t := range r.Tests {
		if f(t) {
			n++
		}
	}
	return n
}

// WriteText prints the report for a terminal: problems as file:row:col: message, then the failed
// tests with their output (every test when verbose), then a summary line.
func (r *Report) WriteText(w io.Writer, verbose bool) error {
	var b strings.Builder
	for _, p := range r.Problems {
		b.WriteString(p.String() + "\n")
	}
	for _, t := range r.Tests {
		if !verbose && (t.Pass || t.Skip) {
			continue
		}
		b.WriteString(t.String() + "\n")
		if t.Output != "" {
			for line := range strings.SplitSeq(strings.TrimRight(t.Output, "\n"), "\n") {
				b.WriteString("    " + line + "\n")
			}
		}
	}
	status := "ok"
	if !r.OK() {
		status = fmt.Sprintf("refused, %d problem(s)", len(r.Problems))
	}
	fmt.Fprintf(&b, "revision %q hash %s: %s; tests: %d passed, %d failed (%s)\n",
		r.Revision, shortHash(r.Hash), status, r.Passed(), r.Failed(), r.Duration.Round(time.Millisecond))
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) add(p ...Problem) { r.Problems = append(r.Problems, p...) }

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// problemsOf turns an error from OPA (parser, compiler, evaluator) into located problems.
func problemsOf(err error) []Problem {
	if errs, ok := errors.AsType[ast.Errors](err); ok && len(errs) > 0 {
		out := make([]Problem, 0, len(errs))
		for _, e := range errs {
			out = append(out, astProblem(e.Location, e.Code, e.Message))
		}
		return out
	}
	if e, ok := errors.AsType[*ast.Error](err); ok {
		return []Problem{astProblem(e.Location, e.Code, e.Message)}
	}
	if e, ok := errors.AsType[*topdown.Error](err); ok {
		return []Problem{astProblem(e.Location, e.Code, e.Message)}
	}
	return []Problem{{Message: err.Error()}}
}

func astProblem(loc *ast.Location, code, msg string) Problem {
	p := Problem{Message: msg}
	if code != "" {
		p.Message = code + ": " + msg
	}
	if loc != nil {
		p.File, p.Row, p.Col = bundlePath(loc.File), loc.Row, loc.Col
	}
	return p
}

// bundlePath turns the names OPA gives modules ("/qualify/lead.rego") back into Files paths.
func bundlePath(name string) string { return strings.TrimPrefix(name, "/") }

// jsonProblem locates a JSON syntax or type error in the file it came from.
func jsonProblem(file string, content []byte, err error) Problem {
	p := Problem{File: file, Message: "invalid JSON: " + err.Error()}
	var offset int64 = -1
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		offset = se.Offset
	} else if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		offset = te.Offset
	}
	if offset >= 0 {
		p.Row, p.Col = rowCol(content, int(offset))
	}
	return p
}

// rowCol converts a byte offset into a 1-based row and column (columns count bytes, as OPA's do).
func rowCol(b []byte, offset int) (int, int) {
	offset = min(max(offset, 0), len(b))
	row := 1 + strings.Count(string(b[:offset]), "\n")
	col := offset - (strings.LastIndexByte(string(b[:offset]), '\n') + 1)
	if col == 0 {
		col = 1
	}
	return row, col
}

func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Row != b.Row {
			return a.Row - b.Row
		}
		return a.Col - b.Col
	})
}

// locateData finds where the value at a data path (e.g. qualify, stages, 2, position) is written:
// the data file that holds it and its row and column there. It returns a problem with only the
// message when the value is not found in any JSON data file (it may come from a rule).
func locateData(files Files, path []any, msg string) Problem {
	for p, content := range files.All() {
		if path == nil || !strings.HasSuffix(p, ".json") || !isDataFile(p) {
			continue
		}
		var prefix []string // data.json in qualify/ holds data.qualify
		if dir := strings.TrimSuffix(p, "data.json"); dir != "" {
			prefix = strings.Split(strings.TrimSuffix(dir, "/"), "/")
		}
		rest, ok := trimPrefix(path, prefix)
		if !ok {
			continue
		}
		if off, ok := seekJSON(json.NewDecoder(bytes.NewReader(content)), rest); ok {
			for off < int64(len(content)) && strings.IndexByte(" \t\r\n,:", content[off]) >= 0 {
				off++ // InputOffset is the end of the previous token
			}
			row, col := rowCol(content, int(off)+1)
			return Problem{File: p, Row: row, Col: col, Message: msg}
		}
	}
	return Problem{Message: msg}
}

func trimPrefix(path []any, prefix []string) ([]any, bool) {
	if len(prefix) > len(path) {
		return nil, false
	}
	for i, s := range prefix {
		if path[i] != any(s) {
			return nil, false
		}
	}
	return path[len(prefix):], true
}

// seekJSON reads dec up to the value at path (object keys as strings, array indexes as ints)
// and returns the offset where the previous token ended.
func seekJSON(dec *json.Decoder, path []any) (int64, bool) {
	if len(path) == 0 {
		return dec.InputOffset(), true
	}
	tok, err := dec.Token()
	if err != nil {
		return 0, false
	}
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return 0, false
			}
			if key == path[0] {
				return seekJSON(dec, path[1:])
			}
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return 0, false
			}
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if path[0] == any(i) {
				return seekJSON(dec, path[1:])
			}
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return 0, false
			}
		}
	}
	return 0, false
}

// dataPath splits a decoding path such as "[2].position" into 2, "position".
func dataPath(base []any, s string) []any {
	out := slices.Clone(base)
	for seg := range strings.SplitSeq(strings.ReplaceAll(s, "[", ".["), ".") {
		if seg == "" {
			continue
		}
		if strings.HasPrefix(seg, "[") {
			if n, err := strconv.Atoi(strings.Trim(seg, "[]")); err == nil {
				out = append(out, n)
				continue
			}
		}
		out = append(out, seg)
	}
	return out
}
