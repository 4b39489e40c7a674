// Package normalize turns user-typed emails, phone numbers, company domains, countries and
// industries into the one canonical form stored, so that duplicates are recognised and the policy
// scores what it keys on.
package normalize

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Email validates a bare address ("Name <a@b>" forms are refused) and lower-cases it.
func Email(s string) (string, error) {
	s = strings.TrimSpace(s)
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", errors.New("not a valid email address")
	}
	at := strings.LastIndexByte(s, '@')
	host, err := Domain(s[at+1:])
	if err != nil || !strings.HasSuffix(strings.ToLower(s[at+1:]), host) {
		return "", errors.New("not a valid email address: the domain is not a public domain")
	}
	return strings.ToLower(s), nil
}

// Phone parses a number, taking defaultRegion (ISO 3166-1 alpha-2, may be empty) for numbers
// without a leading +, and returns it in E.164.
func Phone(s, defaultRegion string) (string, error) {
	s = strings.TrimSpace(s)
	region := strings.ToUpper(defaultRegion)
	if region == "" && !strings.HasPrefix(s, "+") {
		return "", errors.New("a phone number without a country needs a leading + and country code")
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		return "", fmt.Errorf("not a phone number: %v", err)
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", errors.New("not a valid phone number for its country")
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// Domain reduces a URL or host name to its registrable domain under the public suffix list:
// "https://WWW.Sales.Example.co.uk/about" → "example.co.uk".
func Domain(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("empty domain")
	}
	host := s
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", fmt.Errorf("not a URL: %v", err)
		}
		host = u.Hostname()
	} else {
		host, _, _ = strings.Cut(host, "/")
		if h, _, ok := strings.Cut(host, ":"); ok {
			host = h
		}
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	ascii, err := idna.Lookup.ToASCII(host)
	if err != nil || !strings.Contains(ascii, ".") {
		return "", errors.New("not a valid domain name")
	}
	registrable, err := publicsuffix.EffectiveTLDPlusOne(ascii)
	if err != nil {
		return "", errors.New("not a registrable domain: it is a public suffix")
	}
	if _, icann := publicsuffix.PublicSuffix(ascii); !icann && !strings.Contains(registrable, ".") {
		return "", errors.New("not a registrable domain")
	}
	return registrable, nil
}
