package leadimport

import (
	"reflect"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

func TestParseEncodingsAndDelimiters(t *testing.T) {
	text := "Vorname;Nachname;E-Mail;Firma\nJürgen;Müller;j.mueller@fabrik.de;\"Fabrik; GmbH\"\n\n"
	win, err := charmap.Windows1252.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, raw, enc string
	}{
		{"utf8", text, UTF8},
		{"utf8 bom", "\xEF\xBB\xBF" + text, UTF8BOM},
		{"windows-1252", win, Windows1252},
	} {
		f, err := Parse([]byte(c.raw))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if f.Encoding != c.enc || f.Delimiter != ';' {
			t.Errorf("%s: detected %s %q", c.name, f.Encoding, f.Delimiter)
		}
		want := [][]string{{"Jürgen", "Müller", "j.mueller@fabrik.de", "Fabrik; GmbH"}}
		if !reflect.DeepEqual(f.Records, want) || f.Header[0] != "Vorname" {
			t.Errorf("%s: header %q records %q", c.name, f.Header, f.Records)
		}
	}
	f, err := Parse([]byte("email,\"name; with semicolons; inside\"\n\na@b.de,x\n"))
	if err != nil || f.Delimiter != ',' || len(f.Records) != 1 || f.Lines[0] != 3 {
		t.Fatalf("comma file: %+v %v", f, err)
	}
	if _, err := Parse(nil); err == nil {
		t.Fatal("an empty file parsed")
	}
}

func TestColumnsMapping(t *testing.T) {
	header := []string{"E-Mail", "Vorname", "Shoe size", "Company", "Badge"}
	fields, unknown := columns(header, map[string]string{"badge": "key", "Company": ""})
	if want := []string{"email", "firstName", "", "", "key"}; !reflect.DeepEqual(fields, want) {
		t.Errorf("fields %q, want %q", fields, want)
	}
	if want := []string{"Shoe size"}; !reflect.DeepEqual(unknown, want) {
		t.Errorf("unknown %q, want %q (an ignored column is not unknown)", unknown, want)
	}
}

func TestNumbers(t *testing.T) {
	for in, want := range map[string]float64{"1234.5": 1234.5, "1,234.5": 1234.5, "1.234,5": 1234.5, "1234,5": 1234.5, "12 000": 12000} {
		if got, err := number(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
}
