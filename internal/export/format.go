package export

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Format is how rows are written.
type Format string

// The formats: CSV with a header row of GraphQL field names, or one JSON object a line with the
// same names as keys.
const (
	CSV    Format = "csv"
	NDJSON Format = "ndjson"
)

// ContentType is the media type of the format.
func (f Format) ContentType() string {
	if f == CSV {
		return "text/csv; charset=utf-8"
	}
	return "application/x-ndjson"
}

// ParseFormat reads "csv" or "ndjson".
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case CSV, NDJSON:
		return Format(s), nil
	}
	return "", fmt.Errorf("format %q: want csv or ndjson", s)
}

// rowWriter writes one export: the header once, then rows whose values line up with it.
type rowWriter interface {
	header(names []string) error
	row(values []any) error
	// flush sends what was written to the underlying writer.
	flush() error
}

func newRowWriter(f Format, w io.Writer) rowWriter {
	if f == CSV {
		return &csvWriter{w: csv.NewWriter(w)}
	}
	return &ndjsonWriter{w: w}
}

type csvWriter struct {
	w    *csv.Writer
	cell []string
}

func (c *csvWriter) header(names []string) error { return c.w.Write(names) }

func (c *csvWriter) row(values []any) error {
	c.cell = c.cell[:0]
	for _, v := range values {
		c.cell = append(c.cell, SafeCell(text(v)))
	}
	return c.w.Write(c.cell)
}

func (c *csvWriter) flush() error {
	c.w.Flush()
	return c.w.Error()
}

// SafeCell defuses CSV injection: a spreadsheet runs a cell that starts with = + - @ (or a tab or
// carriage return, which some strip first) as a formula, so such a cell gets a leading
// apostrophe, which spreadsheets show as text and do not display. Numbers (-5, +4930123, an
// E.164 phone number) are left alone: as a formula they are only themselves.
func SafeCell(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	return "'" + s
}

// text is a value as a CSV cell: null is empty, times are RFC 3339 in UTC.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

type ndjsonWriter struct {
	w     io.Writer
	names [][]byte // the quoted keys
	buf   []byte
}

func (n *ndjsonWriter) header(names []string) error {
	for _, name := range names {
		k, _ := json.Marshal(name)
		n.names = append(n.names, k)
	}
	return nil
}

// row writes the values as an object whose keys keep the header's order.
func (n *ndjsonWriter) row(values []any) error {
	n.buf = append(n.buf[:0], '{')
	for i, v := range values {
		if i > 0 {
			n.buf = append(n.buf, ',')
		}
		n.buf = append(append(n.buf, n.names[i]...), ':')
		if t, ok := v.(time.Time); ok {
			v = t.UTC().Format(time.RFC3339Nano)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		n.buf = append(n.buf, b...)
	}
	n.buf = append(n.buf, '}', '\n')
	_, err := n.w.Write(n.buf)
	return err
}

func (n *ndjsonWriter) flush() error { return nil }
