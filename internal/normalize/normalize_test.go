package normalize

import "testing"

func TestEmail(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"Jane.Doe@Example.COM", "jane.doe@example.com", true},
		{"  bob@acme.io ", "bob@acme.io", true},
		{"Bob <bob@acme.io>", "", false},
		{"bob@", "", false},
		{"bob@localhost", "", false},
		{"not an email", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		got, err := Email(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Email(%q) = %q, %v; want %q ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestPhone(t *testing.T) {
	cases := []struct {
		in, region, want string
		ok               bool
	}{
		{"+49 30 901820", "", "+4930901820", true},
		{"030 901820", "DE", "+4930901820", true},
		{"(415) 555-2671", "US", "+14155552671", true},
		{"+1 415 555 2671", "DE", "+14155552671", true},
		{"415 555 2671", "", "", false},
		{"12", "US", "", false},
		{"call me", "US", "", false},
	}
	for _, c := range cases {
		got, err := Phone(c.in, c.region)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Phone(%q, %q) = %q, %v; want %q ok=%v", c.in, c.region, got, err, c.want, c.ok)
		}
	}
}

func TestDomain(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"example.com", "example.com", true},
		{"https://WWW.Example.com/about?x=1", "example.com", true},
		{"http://sales.example.co.uk:8080/", "example.co.uk", true},
		{"www.acme.de.", "acme.de", true},
		{"Bücher.example", "xn--bcher-kva.example", true},
		{"co.uk", "", false},
		{"localhost", "", false},
		{"", "", false},
		{"exa mple.com", "", false},
	}
	for _, c := range cases {
		got, err := Domain(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Domain(%q) = %q, %v; want %q ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestCountryAndRegion(t *testing.T) {
	cases := []struct {
		in, want, region string
		ok               bool
	}{
		{"GB", "GB", "EMEA", true},
		{" gb ", "GB", "EMEA", true},
		{"uk", "GB", "EMEA", true},
		{"de", "DE", "EMEA", true},
		{"AE", "AE", "EMEA", true},
		{"ZA", "ZA", "EMEA", true},
		{"us", "US", "NA", true},
		{"CA", "CA", "NA", true},
		{"MX", "MX", "LATAM", true},
		{"BR", "BR", "LATAM", true},
		{"JP", "JP", "APAC", true},
		{"IN", "IN", "APAC", true},
		{"AU", "AU", "APAC", true},
		{"EU", "", "", false},
		{"ZZ", "", "", false},
		{"XX", "", "", false},
		{"QO", "", "", false},
		{"DEU", "", "", false},
		{"12", "", "", false},
		{"", "", "", false},
	}
	for _, c := range cases {
		got, err := Country(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Country(%q) = %q, %v; want %q ok=%v", c.in, got, err, c.want, c.ok)
			continue
		}
		if c.ok {
			if r := Region(got); r != c.region {
				t.Errorf("Region(%q) = %q, want %q", got, r, c.region)
			}
		}
	}
}

func TestIndustry(t *testing.T) {
	v := NewIndustries([]string{"manufacturing", "industrial_machinery", "software"}, map[string]string{"Mfg": "manufacturing", "SaaS": "software", "bogus": "nowhere"})
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"Manufacturing", "manufacturing", true},
		{"  MANUFACTURING ", "manufacturing", true},
		{"Industrial Machinery", "industrial_machinery", true},
		{"industrial-machinery", "industrial_machinery", true},
		{"mfg", "manufacturing", true},
		{"SAAS", "software", true},
		{"", "", true},
		{"bogus", "", false},
		{"basket weaving", "", false},
	}
	for _, c := range cases {
		got, err := v.Industry(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Industry(%q) = %q, %v; want %q ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}
