package leadimport

import (
	"sort"
	"strings"
	"unicode"
)

// The lead fields a column can map to. Key is the row key: the lead's identity across imports
// (an ID from the source list); without it the normalized email is the key.
const (
	FieldKey            = "key"
	FieldFirstName      = "firstName"
	FieldLastName       = "lastName"
	FieldEmail          = "email"
	FieldPhone          = "phone"
	FieldCompanyName    = "companyName"
	FieldJobTitle       = "jobTitle"
	FieldCountry        = "country"
	FieldSource         = "source"
	FieldBudget         = "budget"
	FieldBudgetAmount   = "budgetAmount"
	FieldAuthority      = "authority"
	FieldNeed           = "need"
	FieldTiming         = "timing"
	FieldEstimatedValue = "estimatedValue"
)

// Fields are the fields a mapping may name.
var Fields = []string{FieldKey, FieldFirstName, FieldLastName, FieldEmail, FieldPhone, FieldCompanyName,
	FieldJobTitle, FieldCountry, FieldSource, FieldBudget, FieldBudgetAmount, FieldAuthority, FieldNeed,
	FieldTiming, FieldEstimatedValue}

// aliases are header spellings recognized without a mapping, after folding (lower case, letters
// and digits only).
var aliases = map[string]string{
	"key": FieldKey, "rowkey": FieldKey, "badge": FieldKey, "badgeid": FieldKey, "nr": FieldKey, "id": FieldKey, "externalid": FieldKey, "leadid": FieldKey,
	"firstname": FieldFirstName, "first": FieldFirstName, "givenname": FieldFirstName, "vorname": FieldFirstName,
	"lastname": FieldLastName, "last": FieldLastName, "surname": FieldLastName, "familyname": FieldLastName, "nachname": FieldLastName,
	"email": FieldEmail, "emailaddress": FieldEmail, "mail": FieldEmail,
	"phone": FieldPhone, "phonenumber": FieldPhone, "telephone": FieldPhone, "tel": FieldPhone, "telefon": FieldPhone,
	"company": FieldCompanyName, "companyname": FieldCompanyName, "organization": FieldCompanyName, "firma": FieldCompanyName,
	"jobtitle": FieldJobTitle, "title": FieldJobTitle, "position": FieldJobTitle,
	"country": FieldCountry, "countrycode": FieldCountry, "land": FieldCountry,
	"source": FieldSource, "leadsource": FieldSource, "quelle": FieldSource,
	"budget": FieldBudget, "budgetamount": FieldBudgetAmount,
	"authority": FieldAuthority, "need": FieldNeed, "timing": FieldTiming,
	"estimatedvalue": FieldEstimatedValue, "value": FieldEstimatedValue,
}

func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ValidField reports whether f is a field a mapping may name ("" ignores a column).
func ValidField(f string) bool {
	for _, x := range Fields {
		if x == f {
			return true
		}
	}
	return f == ""
}

// columns resolves header to the field of each column: the saved mapping's entry for the header
// first (matched exactly, then folded), then the aliases. Columns mapping to nothing are
// returned as unknown (sorted); a second column for the same field is unknown too.
func columns(header []string, mapping map[string]string) (fields []string, unknown []string) {
	folded := map[string]string{}
	for h, f := range mapping {
		folded[fold(h)] = f
	}
	fields = make([]string, len(header))
	taken := map[string]bool{}
	for i, h := range header {
		f, ok := mapping[h]
		if !ok {
			f, ok = folded[fold(h)]
		}
		if !ok {
			f = aliases[fold(h)]
		}
		if f == "" || taken[f] {
			if !ok || f != "" {
				unknown = append(unknown, h)
			}
			continue
		}
		taken[f] = true
		fields[i] = f
	}
	sort.Strings(unknown)
	return fields, unknown
}
