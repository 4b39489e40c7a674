# Tests of routing.rego: every rule of the shipped table, segment boundaries, defaults.
package qualify.routing_test

import data.qualify.routing

req(to, region, employees) := {
	"lead": {"id": "l1", "stage": "mql"},
	"account": {"id": "a1", "region": region, "employee_count": employees},
	"to": to,
}

decide(x) := d if {
	d := routing.decision with input as x
}

team(x) := decide(x).team

test_sal_goes_to_the_regional_bdr_team if {
	every region, want in {"emea": "emea-bdr", "na": "na-bdr", "apac": "apac-bdr", "latam": "latam-bdr"} {
		d := decide(req("sal", region, 5000))
		d.team == want
		d.role == "bdr"
		d.reasons[0].code == "ROUTE_RULE"
	}
}

test_sql_goes_to_the_regional_ae_team if {
	every region, want in {"emea": "emea-ae", "na": "na-ae", "apac": "apac-ae", "latam": "latam-ae"} {
		d := decide(req("sql", region, 500))
		d.team == want
		d.role == "ae"
	}
}

test_sql_enterprise_before_region if {
	team(req("sql", "emea", 2000)) == "enterprise-ae"
	team(req("sql", "", 2000)) == "enterprise-ae"
}

test_segment_boundaries if {
	every n, want in {1: "emea-ae", 199: "emea-ae", 200: "emea-ae", 1999: "emea-ae", 2000: "enterprise-ae", 1000000: "enterprise-ae"} {
		team(req("sql", "emea", n)) == want
	}
	contains(decide(req("sql", "emea", 199)).reasons[0].message, "segment smb")
	contains(decide(req("sql", "emea", 200)).reasons[0].message, "segment mid")
	contains(decide(req("sql", "emea", 1999)).reasons[0].message, "segment mid")
	contains(decide(req("sql", "emea", 0)).reasons[0].message, "segment unknown")
}

test_rule_order_wins if {
	rules := [
		{"stage": "sql", "region": "emea", "team": "first"},
		{"stage": "sql", "region": "emea", "team": "second"},
	]
	team(req("sql", "emea", 500)) == "first" with data.qualify.config.routing.rules as rules
}

test_rule_with_region_and_segment if {
	rules := [{"stage": "sal", "region": "na", "segment": "smb", "team": "na-smb-bdr"}]
	team(req("sal", "na", 20)) == "na-smb-bdr" with data.qualify.config.routing.rules as rules
	team(req("sal", "na", 200)) == "global-bdr" with data.qualify.config.routing.rules as rules
}

test_default_team_when_nothing_matches if {
	d := decide(req("sal", "antarctica", 50))
	d.team == "global-bdr"
	d.role == "bdr"
	d.reasons[0].code == "ROUTE_DEFAULT"
	team(req("sql", "antarctica", 50)) == "global-ae"
}

test_null_or_missing_account if {
	d := decide({"lead": {"id": "l1"}, "account": null, "to": "sql"})
	d.team == "global-ae"
	d.role == "ae"
	team({"to": "sal"}) == "global-bdr"
	team({"to": "sql", "account": {"region": 7, "employee_count": "many"}}) == "global-ae"
}

test_stages_without_routing if {
	every to in ["lead", "mql", "opportunity", "customer", "nurture", "disqualified", ""] {
		d := decide(req(to, "emea", 500))
		d.team == ""
		d.role == ""
		d.reasons[0].code == "ROUTE_NOT_ROUTED"
	}
}

test_shape if {
	every x in [req("sal", "emea", 10), req("sql", "mars", 0), {}] {
		d := decide(x)
		{k | some k, _ in d} == {"team", "role", "reasons", "fallback"}
		count(d.reasons) == 1
		d.reasons[0].points == 0
	}
}

test_a_rule_team_falls_back_to_the_stage_default if {
	decide(req("sal", "emea", 50)).fallback == ["global-bdr"]
	decide(req("sql", "na", 500)).fallback == ["global-ae"]
	decide(req("sql", "emea", 5000)).fallback == ["global-ae"]
}

test_the_default_team_has_no_fallback if {
	d := decide(req("sal", "", 50))
	d.team == "global-bdr"
	d.fallback == []
}

test_a_rule_naming_the_default_team_does_not_fall_back_to_itself if {
	rules := [{"stage": "sal", "region": "na", "team": "global-bdr"}]
	decide(req("sal", "na", 20)).fallback == [] with data.qualify.config.routing.rules as rules
}

test_unrouted_stage_has_no_fallback if {
	decide(req("mql", "emea", 50)).fallback == []
}
