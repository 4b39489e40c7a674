# Tests of manual.rego: a person's park, disqualification or move back holds until new activity,
# the configured days, or a misfit. Helpers are in score_test.rego and lead_test.rego.
package qualify.lead_test

import data.qualify.config

manual_at(from, to, days) := {"manual": {"from": from, "to": to, "at": ago(days, 0), "reason_code": "not_ready"}}

# sql evidence: need, budget and authority confirmed.
sql_evidence := {"need": "yes", "budget": "yes", "authority": "yes"}

test_manual_park_holds_against_sql_evidence if {
	d := decide(with_lead(object.union(object.union(sql_evidence, {"stage": "nurture"}), manual_at("sql", "nurture", 5))))
	d.stage == "nurture"
	stage_codes(d) == ["STAGE_KEEP_MANUAL"]
}

test_automatic_park_does_not_hold if {
	d := decide(with_lead(object.union(sql_evidence, {"stage": "nurture"})))
	d.stage == "sql"
}

test_manual_move_back_holds if {
	d := decide(with_lead(object.union(object.union(sql_evidence, {"stage": "sal"}), manual_at("sql", "sal", 5))))
	d.stage == "sal"
	stage_codes(d) == ["STAGE_KEEP_MANUAL"]
}

test_manual_forward_move_does_not_hold if {
	d := decide(with_lead(object.union(object.union(sql_evidence, {"stage": "mql"}), manual_at("lead", "mql", 5))))
	d.stage == "sql"
}

test_manual_decision_of_another_stage_does_not_hold if {
	d := decide(with_lead(object.union(object.union(sql_evidence, {"stage": "mql"}), manual_at("sql", "nurture", 5))))
	d.stage == "sql"
}

test_new_activity_revisits if {
	x := with_lead(object.union(object.union(sql_evidence, {"stage": "nurture"}), manual_at("sql", "nurture", 5)))
	decide(object.union(x, {"activities": [act("meeting", 2)]})).stage == "sql"
	decide(object.union(x, {"activities": [act("meeting", 6)]})).stage == "nurture"
	decide(object.union(x, {"activities": [act("web_visit", 2)]})).stage == "nurture"
}

test_revisit_after_days if {
	days := config.manual.revisit_after_days
	held := with_lead(object.union(object.union(sql_evidence, {"stage": "nurture"}), manual_at("sql", "nurture", days - 1)))
	decide(held).stage == "nurture"
	due := with_lead(object.union(object.union(sql_evidence, {"stage": "nurture"}), manual_at("sql", "nurture", days + 1)))
	decide(due).stage == "sql"
}

test_misfit_revisits if {
	x := with_lead(object.union({"stage": "nurture"}, manual_at("sql", "nurture", 5)))
	decide(object.union(x, {"account": object.union(base.account, {"country": "KP"})})).stage == "disqualified"
}

test_hold_only_when_the_evidence_differs if {
	d := decide(with_lead(object.union({"stage": "nurture"}, manual_at("sql", "nurture", 5))))
	d.stage == "nurture"
	stage_codes(d) == ["STAGE_KEEP_PARKED"]
}
