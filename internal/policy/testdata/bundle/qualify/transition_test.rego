package qualify.transition_test

import data.qualify.transition

q := {"bant": {"confirmed": 3}, "coverage": {"decision_maker": true}}

test_bdr_moves_to_sql if {
	d := transition.decision with input as {"from": "mql", "to": "sql", "actor": {"id": "u", "role": "bdr"}, "trigger": "manual", "qualification": q}
	d.allow
}

test_sql_needs_decision_maker if {
	d := transition.decision with input as {"from": "mql", "to": "sql", "actor": {"id": "u", "role": "bdr"}, "trigger": "manual", "qualification": {"bant": {"confirmed": 3}, "coverage": {"decision_maker": false}}}
	not d.allow
	some r in d.reasons
	r.code == "sql.needs_decision_maker"
}

test_backwards_needs_revops_and_reason if {
	d := transition.decision with input as {"from": "sql", "to": "mql", "actor": {"id": "u", "role": "bdr"}, "trigger": "manual", "qualification": q}
	codes := {r.code | some r in d.reasons}
	codes == {"backwards.needs_revops", "backwards.needs_reason"}
}

test_disqualify_needs_reason_code if {
	d := transition.decision with input as {"from": "mql", "to": "disqualified", "actor": {"id": "u", "role": "bdr"}, "trigger": "manual", "qualification": q}
	not d.allow
	d2 := transition.decision with input as {"from": "mql", "to": "disqualified", "actor": {"id": "u", "role": "bdr"}, "trigger": "manual", "reason_code": "no_budget", "qualification": q}
	d2.allow
}
