# Tests of transition.rego: each refusal rule, and the moves that must pass.
package qualify.transition_test

import data.qualify.transition

qualification := {
	"fit_score": 27, "engagement_score": 10, "score": 40, "grade": "C", "temperature": "warm",
	"bant": {"budget": "yes", "authority": "unknown", "need": "yes", "timing": "unknown", "confirmed": 2, "status": "partial"},
	"coverage": {"decision_maker": true, "recommender": false, "influencer": false},
	"project_signal": false, "stage": "sql", "disqualify_reason_code": "", "reasons": [],
}

req(from, to, role) := {
	"lead": {"id": "l1", "stage": from},
	"from": from,
	"to": to,
	"actor": {"id": "u1", "role": role},
	"trigger": "manual",
	"qualification": qualification,
}

# q(fields) is the qualification with some fields replaced.
q(fields) := object.union(object.remove(qualification, object.keys(fields)), fields)

with_q(r, fields) := object.union(object.remove(r, ["qualification"]), {"qualification": q(fields)})

auto(from, to, fields) := object.union(with_q(req(from, to, "system"), fields), {"trigger": "auto"})

decide(x) := d if {
	d := transition.decision with input as x
}

codes(x) := [r.code | some r in decide(x).reasons]

allowed(x) if {
	d := decide(x)
	d.allow == true
	d.reasons == []
}

refused(x, code) if {
	d := decide(x)
	d.allow == false
	code in codes(x)
}

# --- shape --------------------------------------------------------------------------------------

test_shape_when_refused if {
	d := decide(req("lead", "sql", "analyst"))
	d.allow == false
	count(d.reasons) > 0
	d.reasons == sort(d.reasons)
	every r in d.reasons {
		{k | some k, _ in r} == {"code", "message", "points"}
		r.points == 0
	}
}

test_defined_for_empty_input if {
	refused({}, "UNKNOWN_STAGE")
	refused({}, "ROLE_CANNOT_TRANSITION")
	refused({"from": "lead", "to": "mql", "actor": null, "qualification": null}, "ROLE_CANNOT_TRANSITION")
}

# --- stages, roles, triggers --------------------------------------------------------------------

test_unknown_stages if {
	refused(req("lead", "won_big", "revops"), "UNKNOWN_STAGE")
	refused(req("limbo", "mql", "revops"), "UNKNOWN_STAGE")
}

test_same_stage if {
	codes(req("mql", "mql", "revops")) == ["SAME_STAGE"]
}

test_roles_that_cannot_transition if {
	every role in ["analyst", "", "intern"] {
		refused(req("lead", "mql", role), "ROLE_CANNOT_TRANSITION")
	}
}

test_roles_that_can_transition if {
	every role in ["marketing", "bdr", "ae", "revops", "admin"] {
		allowed(req("lead", "mql", role))
	}
}

test_triggers if {
	allowed(object.union(req("lead", "mql", "bdr"), {"trigger": "api"}))
	allowed(object.union(req("lead", "mql", "bdr"), {"trigger": ""}))
	refused(object.union(req("lead", "mql", "bdr"), {"trigger": "magic"}), "UNKNOWN_TRIGGER")
	refused(object.union(req("lead", "mql", "bdr"), {"trigger": "auto"}), "AUTO_TRIGGER_NEEDS_SYSTEM")
	refused(object.union(req("lead", "mql", "system"), {"trigger": "manual"}), "SYSTEM_TRIGGER_NOT_ALLOWED")
	allowed(object.union(req("lead", "mql", "system"), {"trigger": "import"}))
}

# --- automatic moves ----------------------------------------------------------------------------

test_auto_follows_the_qualification if {
	allowed(auto("lead", "sql", {}))
	allowed(object.union(auto("mql", "sql", {}), {"trigger": "requalify"}))
	refused(auto("lead", "sal", {}), "AUTO_NOT_RECOMMENDED")
}

test_auto_never_backward if {
	d := decide(auto("sql", "mql", {"stage": "mql"}))
	d.allow == false
	codes(auto("sql", "mql", {"stage": "mql"})) == ["AUTO_CANNOT_MOVE_BACKWARD"]
}

test_auto_to_nurture_uses_the_configured_code if {
	allowed(auto("lead", "nurture", {"stage": "nurture"}))
	refused(object.union(auto("lead", "nurture", {"stage": "nurture"}), {"reason_code": "bored"}), "NURTURE_UNKNOWN_REASON_CODE")
}

test_auto_disqualify_uses_the_qualification_code if {
	allowed(auto("sql", "disqualified", {"stage": "disqualified", "disqualify_reason_code": "excluded_country"}))
	refused(auto("sql", "disqualified", {"stage": "disqualified"}), "DISQUALIFY_NEEDS_REASON_CODE")
}

test_auto_brings_nurture_back if {
	allowed(auto("nurture", "mql", {"stage": "mql", "engagement_score": 5}))
}

test_auto_never_leaves_disqualified if {
	refused(auto("disqualified", "mql", {"stage": "mql"}), "LEAVE_DISQUALIFIED_NEEDS_ROLE")
}

# --- backward -----------------------------------------------------------------------------------

test_backward_needs_role_and_reason if {
	every role in ["marketing", "bdr", "ae"] {
		refused(req("sql", "sal", role), "BACKWARD_NEEDS_ROLE")
	}
	refused(req("sql", "sal", "revops"), "BACKWARD_NEEDS_REASON")
	refused(object.union(req("sql", "sal", "revops"), {"reason": "   "}), "BACKWARD_NEEDS_REASON")
	allowed(object.union(req("sql", "sal", "revops"), {"reason": "budget frozen"}))
	allowed(object.union(req("opportunity", "lead", "admin"), {"reason": "wrong contact"}))
}

test_backward_needs_no_entry_criteria if {
	allowed(object.union(with_q(req("sql", "sal", "revops"), {"fit_score": 0}), {"reason": "re-check"}))
}

test_leaving_customer_is_backward if {
	refused(object.union(req("customer", "disqualified", "ae"), {"reason_code": "duplicate"}), "BACKWARD_NEEDS_ROLE")
	allowed(object.union(req("customer", "disqualified", "revops"), {"reason_code": "duplicate", "reason": "merged"}))
}

# --- forward: entry criteria and roles ----------------------------------------------------------

test_mql_engagement_boundary if {
	refused(with_q(req("lead", "mql", "marketing"), {"stage": "lead", "engagement_score": 0}), "MQL_NEEDS_ENGAGEMENT")
	allowed(with_q(req("lead", "mql", "marketing"), {"stage": "lead", "engagement_score": 1}))
	allowed(with_q(req("lead", "mql", "marketing"), {"stage": "mql", "engagement_score": 0}))
}

test_sal_fit_boundary if {
	refused(with_q(req("mql", "sal", "bdr"), {"stage": "mql", "fit_score": 14}), "SAL_NEEDS_FIT")
	allowed(with_q(req("mql", "sal", "bdr"), {"stage": "mql", "fit_score": 15}))
	allowed(with_q(req("mql", "sal", "bdr"), {"stage": "sal", "fit_score": 0}))
}

test_sal_needs_a_sales_role if {
	refused(req("mql", "sal", "marketing"), "ROLE_CANNOT_ENTER_STAGE")
}

test_sql_criteria_one_by_one if {
	allowed(req("sal", "sql", "bdr"))
	refused(with_q(req("sal", "sql", "bdr"), {"bant": object.union(qualification.bant, {"need": "no"})}), "SQL_NEEDS_NEED")
	refused(with_q(req("sal", "sql", "bdr"), {"bant": object.union(qualification.bant, {"budget": "unknown"})}), "SQL_NEEDS_BUDGET_OR_TIMING")
	allowed(with_q(req("sal", "sql", "bdr"), {"bant": object.union(qualification.bant, {"budget": "no", "timing": "yes"})}))
	refused(with_q(req("sal", "sql", "bdr"), {"coverage": {"decision_maker": false}}), "SQL_NEEDS_DECISION_MAKER")
}

test_sql_all_missing_criteria_listed if {
	codes(with_q(req("lead", "sql", "bdr"), {"bant": {}, "coverage": {}})) == ["SQL_NEEDS_BUDGET_OR_TIMING", "SQL_NEEDS_DECISION_MAKER", "SQL_NEEDS_NEED"]
}

test_sql_authority_as_decision_maker if {
	x := with_q(req("sal", "sql", "ae"), {"coverage": {"decision_maker": false}, "bant": object.union(qualification.bant, {"authority": "yes"})})
	allowed(x)
	refused(x, "SQL_NEEDS_DECISION_MAKER") with data.qualify.config.sql.authority_counts_as_decision_maker as false
}

test_opportunity_only_from_sql if {
	allowed(req("sql", "opportunity", "ae"))
	refused(req("sal", "opportunity", "ae"), "OPPORTUNITY_ONLY_FROM_SQL")
	refused(req("sql", "opportunity", "bdr"), "ROLE_CANNOT_ENTER_STAGE")
}

test_customer_only_from_opportunity if {
	allowed(req("opportunity", "customer", "ae"))
	refused(req("sql", "customer", "ae"), "CUSTOMER_ONLY_FROM_OPPORTUNITY")
	refused(req("nurture", "customer", "revops"), "CUSTOMER_ONLY_FROM_OPPORTUNITY")
}

# --- disqualify and nurture ---------------------------------------------------------------------

test_disqualify_reason_codes if {
	refused(req("sal", "disqualified", "bdr"), "DISQUALIFY_NEEDS_REASON_CODE")
	refused(object.union(req("sal", "disqualified", "bdr"), {"reason_code": "meh"}), "DISQUALIFY_UNKNOWN_REASON_CODE")
	every c in data.qualify.config.transition.disqualify_reason_codes {
		allowed(object.union(req("sal", "disqualified", "bdr"), {"reason_code": c}))
	}
}

test_nurture_reason_codes if {
	refused(req("mql", "nurture", "marketing"), "NURTURE_NEEDS_REASON_CODE")
	refused(object.union(req("mql", "nurture", "marketing"), {"reason_code": "excluded_country"}), "NURTURE_UNKNOWN_REASON_CODE")
	every c in data.qualify.config.transition.nurture_reason_codes {
		allowed(object.union(req("sql", "nurture", "ae"), {"reason_code": c}))
	}
}

test_leaving_disqualified if {
	refused(object.union(req("disqualified", "lead", "bdr"), {"reason": "came back"}), "LEAVE_DISQUALIFIED_NEEDS_ROLE")
	refused(req("disqualified", "lead", "revops"), "LEAVE_DISQUALIFIED_NEEDS_REASON")
	allowed(object.union(req("disqualified", "lead", "revops"), {"reason": "came back"}))
	allowed(object.union(req("disqualified", "nurture", "admin"), {"reason": "later", "reason_code": "not_ready"}))
}

test_leaving_disqualified_still_needs_target_criteria if {
	x := object.union(with_q(req("disqualified", "sql", "revops"), {"coverage": {}}), {"reason": "came back"})
	codes(x) == ["SQL_NEEDS_DECISION_MAKER"]
}

test_leaving_nurture if {
	every role in ["marketing", "bdr", "ae", "revops", "admin"] {
		allowed(with_q(req("nurture", "mql", role), {"stage": "mql"}))
	}
	refused(req("nurture", "mql", "marketing"), "LEAVE_NURTURE_NEEDS_ROLE") with data.qualify.config.transition.leave_nurture_roles as ["revops"]
	refused(with_q(req("nurture", "sal", "bdr"), {"stage": "nurture", "fit_score": 3}), "SAL_NEEDS_FIT")
}

# --- scheduled moves (trigger schedule) ------------------------------------------------------------

scheduled(from, to, code) := {
	"lead": {"id": "l1", "stage": from},
	"from": from, "to": to,
	"actor": {"id": "", "role": "system"},
	"trigger": "schedule", "reason_code": code,
	"qualification": {"stage": from},
}

test_scheduled_move_of_a_rule_is_allowed if {
	m := data.qualify.config.schedule.moves[0]
	d := transition.decision with input as scheduled(m.from_stages[0], m.to, m.reason_code)
	d.allow
}

test_scheduled_move_not_of_a_rule_is_refused if {
	d := transition.decision with input as scheduled("sal", "sql", "")
	not d.allow
	"AUTO_NOT_RECOMMENDED" in {r.code | some r in d.reasons}
}

test_schedule_trigger_needs_system if {
	m := data.qualify.config.schedule.moves[0]
	x := object.union(scheduled(m.from_stages[0], m.to, m.reason_code), {"actor": {"id": "u1", "role": "bdr"}})
	d := transition.decision with input as x
	"AUTO_TRIGGER_NEEDS_SYSTEM" in {r.code | some r in d.reasons}
}
