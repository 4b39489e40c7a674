package leadimport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Encodings detected.
const (
	UTF8        = "UTF-8"
	UTF8BOM     = "UTF-8 BOM"
	Windows1252 = "Windows-1252"
)

var bom = []byte{0xEF, 0xBB, 0xBF}

// File is a parsed CSV: its header and data records, and what was detected.
type File struct {
	Encoding  string
	Delimiter rune
	Header    []string
	Records   [][]string
	// Lines are the line numbers of the records in the file (the header is line 1).
	Lines []int
}

// Parse decodes raw (UTF-8 with or without a byte-order mark, else Windows-1252, the encoding
// spreadsheet programs on Windows write), detects the delimiter (';' or ',') on the header line
// and reads the records. Blank lines are skipped; short rows are padded.
func Parse(raw []byte) (*File, error) {
	f := &File{}
	var text string
	switch {
	case bytes.HasPrefix(raw, bom):
		f.Encoding, text = UTF8BOM, string(raw[len(bom):])
	case utf8.Valid(raw):
		f.Encoding, text = UTF8, string(raw)
	default:
		dec, err := charmap.Windows1252.NewDecoder().Bytes(raw)
		if err != nil {
			return nil, fmt.Errorf("decoding Windows-1252: %w", err)
		}
		f.Encoding, text = Windows1252, string(dec)
	}
	f.Delimiter = delimiter(text)
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = f.Delimiter
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = false
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty")
	} else if err != nil {
		return nil, fmt.Errorf("reading the header: %w", err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	f.Header = header
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the file: %w", err)
		}
		if blank(rec) {
			continue
		}
		for len(rec) < len(header) {
			rec = append(rec, "")
		}
		line, _ := r.FieldPos(0)
		f.Records = append(f.Records, rec)
		f.Lines = append(f.Lines, line)
	}
	return f, nil
}

// delimiter picks ';' or ',' by which occurs more often outside quotes in the first line.
func delimiter(text string) rune {
	line, _, _ := strings.Cut(text, "\n")
	semi, comma, quoted := 0, 0, false
	for _, c := range line {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == ';':
			semi++
		case c == ',':
			comma++
		}
	}
	if semi > comma {
		return ';'
	}
	return ','
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}
