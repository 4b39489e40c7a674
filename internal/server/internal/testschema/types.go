package testschema

import (
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Node is a recursive test type; its child and children fields are resolvers.
type Node struct {
	ID int `json:"id"`
}

// Strict is a scalar whose coercion refuses the value "bad": an argument coercion error at run time,
// after the document validated.
type Strict string

// UnmarshalGQL implements graphql.Unmarshaler.
func (s *Strict) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("Strict must be a string, not %T", v)
	}
	if str == "bad" {
		return errors.New("Strict refuses the value \"bad\"")
	}
	*s = Strict(str)
	return nil
}

// MarshalGQL implements graphql.Marshaler.
func (s Strict) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(s)))
}
