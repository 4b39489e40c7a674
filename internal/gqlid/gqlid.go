// Package gqlid is the GraphQL ID scalar: ent's integer global ids, written as strings. A value
// that is no id is refused with a reason a client can read (not strconv's); in nodes(ids:) it
// becomes Malformed, so that one bad id fails its own item and not the list.
package gqlid

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
)

// Malformed stands for an id that did not parse, where the resolver reports it per item. No row
// has it: ent's global ids start at 1.
const Malformed = 0

// MarshalIntID writes id as a quoted decimal string.
func MarshalIntID(id int) graphql.ContextMarshaler {
	return graphql.ContextWriterFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, strconv.Quote(strconv.Itoa(id)))
		return err
	})
}

// UnmarshalIntID reads an id: a decimal string or number above zero.
func UnmarshalIntID(ctx context.Context, v any) (int, error) {
	var (
		id  int
		err error
	)
	switch v := v.(type) {
	case string:
		id, err = strconv.Atoi(v)
	case json.Number:
		id, err = strconv.Atoi(string(v))
	case int:
		id = v
	case int64:
		id = int(v)
	default:
		err = fmt.Errorf("%T", v)
	}
	if err == nil && id > 0 {
		return id, nil
	}
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Object == "Query" && fc.Field.Name == "nodes" {
		return Malformed, nil
	}
	return 0, fmt.Errorf("%s is not an id", describe(v))
}

func describe(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}
