package policy

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/message"
)

// schemaFile is a data file's JSON Schema, beside it in the bundle: data.schema.json checks
// data.json of the same directory when the bundle loads, so that a knob of the wrong type, out
// of range or out of order is refused with its location instead of found by a test, if at all.
const schemaFile = "data.schema.json"

// checkDataSchemas validates each data.json that has a data.schema.json beside it.
func checkDataSchemas(files Files) []Problem {
	var out []Problem
	for p, raw := range files.All() {
		if path.Base(p) != schemaFile {
			continue
		}
		dataPath := strings.TrimSuffix(p, schemaFile) + "data.json"
		data, ok := files.Get(dataPath)
		if !ok {
			out = append(out, Problem{File: p, Message: "a data schema without " + dataPath + " beside it"})
			continue
		}
		out = append(out, checkDataSchema(files, p, raw, dataPath, data)...)
	}
	return out
}

func checkDataSchema(files Files, schemaPath string, raw []byte, dataPath string, data []byte) []Problem {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return []Problem{jsonProblem(schemaPath, raw, err)}
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.RegisterVocabulary(orderVocabulary())
	c.AssertVocabs()
	url := "file:///" + schemaPath
	if err := c.AddResource(url, doc); err != nil {
		return []Problem{{File: schemaPath, Message: "invalid schema: " + err.Error()}}
	}
	sch, err := c.Compile(url)
	if err != nil {
		return []Problem{{File: schemaPath, Message: "invalid schema: " + err.Error()}}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return []Problem{jsonProblem(dataPath, data, err)}
	}
	verr, ok := errors.AsType[*jsonschema.ValidationError](sch.Validate(inst))
	if !ok {
		return nil
	}
	// The leaves of the error tree are the causes; the rest only say where they sit.
	var prefix []any
	if dir := strings.TrimSuffix(dataPath, "data.json"); dir != "" {
		for _, seg := range strings.Split(strings.TrimSuffix(dir, "/"), "/") {
			prefix = append(prefix, seg)
		}
	}
	var out []Problem
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		loc := slices.Clone(prefix)
		at := e.InstanceLocation
		if o, ok := e.ErrorKind.(*outOfOrder); ok {
			at = append(slices.Clone(at), o.at...)
		}
		for _, seg := range at {
			if n, err := strconv.Atoi(seg); err == nil {
				loc = append(loc, n)
			} else {
				loc = append(loc, seg)
			}
		}
		msg := fmt.Sprintf("%s: %s (%s)", pointer(at), e.ErrorKind.LocalizedString(printer), schemaFile)
		p := locateData(files, loc, msg)
		if p.File == "" {
			p.File = dataPath
		}
		out = append(out, p)
	}
	walk(verr)
	return out
}

var printer = message.NewPrinter(message.MatchLanguage("en"))

// pointer writes an instance location as a path: qualify.config.fit.employee_ranges[2].min.
func pointer(loc []string) string {
	var b strings.Builder
	for _, seg := range loc {
		if _, err := strconv.Atoi(seg); err == nil {
			b.WriteString("[" + seg + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	if b.Len() == 0 {
		return "data"
	}
	return b.String()
}

// orderVocabulary adds the orders JSON Schema cannot say:
//
//	"ascendingBy": "min"                      items of an array, strictly ascending by that property
//	"descendingProperties": ["A", "B", "C"]   values of an object's properties, strictly descending
func orderVocabulary() *jsonschema.Vocabulary {
	const url = "https://qualify.example/vocab/order"
	meta, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"properties": {
		"ascendingBy": {"type": "string"},
		"descendingProperties": {"type": "array", "items": {"type": "string"}}}}`))
	c := jsonschema.NewCompiler()
	_ = c.AddResource(url, meta)
	return &jsonschema.Vocabulary{URL: url, Schema: c.MustCompile(url), Compile: compileOrder}
}

type orderKeywords struct {
	ascendingBy string
	descending  []string
}

func compileOrder(_ *jsonschema.CompilerContext, obj map[string]any) (jsonschema.SchemaExt, error) {
	var k orderKeywords
	if s, ok := obj["ascendingBy"].(string); ok {
		k.ascendingBy = s
	}
	if ps, ok := obj["descendingProperties"].([]any); ok {
		for _, p := range ps {
			if s, ok := p.(string); ok {
				k.descending = append(k.descending, s)
			}
		}
	}
	if k.ascendingBy == "" && len(k.descending) == 0 {
		return nil, nil
	}
	return &k, nil
}

func (k *orderKeywords) Validate(ctx *jsonschema.ValidatorContext, v any) {
	if arr, ok := v.([]any); ok && k.ascendingBy != "" {
		for i := 1; i < len(arr); i++ {
			a, b := numberAt(arr[i-1], k.ascendingBy), numberAt(arr[i], k.ascendingBy)
			if a != nil && b != nil && cmp.Compare(*a, *b) >= 0 {
				ctx.AddError(&outOfOrder{keyword: "ascendingBy", at: []string{strconv.Itoa(i), k.ascendingBy}, msg: fmt.Sprintf(
					"items must ascend by %s: item %d has %s %v, not more than item %d's %v", k.ascendingBy, i, k.ascendingBy, *b, i-1, *a)})
				return
			}
		}
	}
	if obj, ok := v.(map[string]any); ok && len(k.descending) > 1 {
		for i := 1; i < len(k.descending); i++ {
			hi, lo := k.descending[i-1], k.descending[i]
			a, b := jsonNumber(obj[hi]), jsonNumber(obj[lo])
			if a != nil && b != nil && *a <= *b {
				ctx.AddError(&outOfOrder{keyword: "descendingProperties", at: []string{lo}, msg: fmt.Sprintf(
					"%s (%v) must be more than %s (%v)", hi, *a, lo, *b)})
				return
			}
		}
	}
}

func numberAt(item any, prop string) *float64 {
	obj, ok := item.(map[string]any)
	if !ok {
		return nil
	}
	return jsonNumber(obj[prop])
}

// jsonNumber reads a JSON number as jsonschema.UnmarshalJSON decodes it (json.Number).
func jsonNumber(v any) *float64 {
	var f float64
	switch n := v.(type) {
	case interface{ Float64() (float64, error) }:
		x, err := n.Float64()
		if err != nil {
			return nil
		}
		f = x
	case float64:
		f = n
	case int:
		f = float64(n)
	default:
		return nil
	}
	return &f
}

// outOfOrder is an order violation; at is where, below the array or object checked.
type outOfOrder struct {
	keyword, msg string
	at           []string
}

func (e *outOfOrder) KeywordPath() []string                   { return []string{e.keyword} }
func (e *outOfOrder) LocalizedString(*message.Printer) string { return e.msg }
