package leadimport

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/internal/crm"
	"github.com/qualify/qualify/internal/domainerr"
)

// rowError is why a row was refused: the column (header) at fault, a code and a reason.
type rowError struct {
	Column, Code, Reason string
}

// row turns a record into the lead input and its row key, with the same normalization as the
// API (crm.NormalizeLeadContactData); a bad value refuses the row.
func row(header, fields, rec []string, defaultSource lead.Source) (ent.CreateLeadInput, string, *rowError) {
	in := ent.CreateLeadInput{Source: defaultSource}
	var key string
	col := map[string]string{}
	for i, f := range fields {
		if f == "" {
			continue
		}
		col[f] = header[i]
		v := strings.TrimSpace(rec[i])
		if v == "" {
			continue
		}
		var bad string
		switch f {
		case FieldKey:
			key = v
		case FieldFirstName:
			in.FirstName = &v
		case FieldLastName:
			in.LastName = &v
		case FieldEmail:
			in.Email = &v
		case FieldPhone:
			in.Phone = &v
		case FieldCompanyName:
			in.CompanyName = &v
		case FieldJobTitle:
			in.JobTitle = &v
		case FieldCountry:
			c := strings.ToUpper(v)
			if len(c) != 2 {
				bad = "not an ISO 3166-1 alpha-2 country code"
			}
			in.Country = &c
		case FieldSource:
			s := lead.Source(enumValue(v))
			if lead.SourceValidator(s) != nil {
				bad = "unknown source"
			}
			in.Source = s
		case FieldBudget, FieldAuthority, FieldNeed, FieldTiming:
			a, ok := answer(v)
			if !ok {
				bad = "not YES, NO or UNKNOWN"
			}
			switch f {
			case FieldBudget:
				b := lead.Budget(a)
				in.Budget = &b
			case FieldAuthority:
				x := lead.Authority(a)
				in.Authority = &x
			case FieldNeed:
				x := lead.Need(a)
				in.Need = &x
			case FieldTiming:
				x := lead.Timing(a)
				in.Timing = &x
			}
		case FieldBudgetAmount, FieldEstimatedValue:
			n, err := number(v)
			if err != nil || n < 0 {
				bad = "not a non-negative number"
			}
			if f == FieldBudgetAmount {
				in.BudgetAmount = &n
			} else {
				in.EstimatedValue = &n
			}
		}
		if bad != "" {
			return in, "", &rowError{Column: header[i], Code: string(domainerr.CodeValidation), Reason: bad}
		}
	}
	if in.Source == "" {
		return in, "", &rowError{Column: col[FieldSource], Code: string(domainerr.CodeValidation), Reason: "no source: map a column or give a default"}
	}
	if err := crm.NormalizeLeadContactData(in.Email, in.Phone, in.Country, ""); err != nil {
		re := &rowError{Code: string(domainerr.CodeValidation), Reason: err.Error()}
		if v, ok := err.(*domainerr.ValidationError); ok {
			re.Reason = v.Reason
			re.Column = col[v.Field[len(v.Field)-1]]
		}
		return in, "", re
	}
	if in.Email == nil && in.Phone == nil && key == "" {
		return in, "", &rowError{Column: col[FieldEmail], Code: string(domainerr.CodeValidation), Reason: "a row needs an email, a phone or a key"}
	}
	return in, rowKey(key, in), nil
}

// rowKey is the lead's identity across imports: the source's key, else the normalized email,
// else a hash of the normalized name, company and phone.
func rowKey(key string, in ent.CreateLeadInput) string {
	switch {
	case key != "":
		return "key:" + key
	case in.Email != nil:
		return "email:" + *in.Email
	}
	h := sha256.New()
	for _, p := range []*string{in.FirstName, in.LastName, in.CompanyName, in.Phone} {
		if p != nil {
			h.Write([]byte(strings.ToLower(*p)))
		}
		h.Write([]byte{0})
	}
	return "row:" + hex.EncodeToString(h.Sum(nil))[:32]
}

func enumValue(v string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(v)))
}

func answer(v string) (string, bool) {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "YES", "Y", "TRUE", "1", "JA":
		return "YES", true
	case "NO", "N", "FALSE", "0", "NEIN":
		return "NO", true
	case "UNKNOWN", "?":
		return "UNKNOWN", true
	}
	return "", false
}

// number reads 1234.5, 1,234.5, 1.234,5 and 1234,5.
func number(v string) (float64, error) {
	v = strings.ReplaceAll(strings.TrimSpace(v), " ", "")
	dot, comma := strings.LastIndexByte(v, '.'), strings.LastIndexByte(v, ',')
	switch {
	case comma > dot && dot >= 0: // 1.234,5
		v = strings.ReplaceAll(v, ".", "")
		v = strings.Replace(v, ",", ".", 1)
	case comma > dot: // 1234,5
		v = strings.Replace(v, ",", ".", 1)
	default: // 1,234.5
		v = strings.ReplaceAll(v, ",", "")
	}
	return strconv.ParseFloat(v, 64)
}
