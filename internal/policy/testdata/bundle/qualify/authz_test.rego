package qualify.authz_test

import data.qualify.authz

test_analyst_reads_redacted if {
	d := authz.decision with input as {"principal": {"id": "u", "role": "analyst", "team": "x"}, "operation": {"kind": "query", "name": "leads"}}
	d.allow
	d.redact == {"contact.email", "contact.phone"}
}

test_bdr_cannot_publish if {
	d := authz.decision with input as {"principal": {"id": "u", "role": "bdr", "team": "x"}, "operation": {"kind": "admin", "name": "publishPolicy"}}
	not d.allow
}
