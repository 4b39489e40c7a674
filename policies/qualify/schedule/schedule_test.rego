# Tests of schedule.rego: re-score on decay steps, idle moves, manual holds, SLA escalations and
# the next review. Day counts are read from data.json, so a knob change needs no test change.
package qualify.schedule_test

import data.qualify.config
import data.qualify.schedule

day := ((24 * 60) * 60) * 1000000000

at(s, d) := time.format(time.parse_rfc3339_ns(s) + (d * day))

# step(s, d): a second after d days from s, when an age of d days has passed.
step(s, d) := time.format((time.parse_rfc3339_ns(s) + (d * day)) + 1000000000)

decide(x) := d if {
	d := schedule.decision with input as x
}

# A hot lead: a demo and a meeting on 2026-11-02, qualified right then, an SQL since then.
hot(now) := {
	"now": now,
	"lead": {"id": "l1", "stage": "sql", "created_at": "2026-10-01T08:00:00Z", "stage_entered_at": "2026-11-02T10:00:00Z"},
	"activities": [
		{"kind": "demo", "occurred_at": "2026-11-02T10:00:00Z"},
		{"kind": "meeting", "occurred_at": "2026-11-02T10:00:00Z"},
	],
	"qualified_at": "2026-11-02T10:00:00Z",
	"escalated": [],
}

test_hot_lead_next_review_is_its_first_decay_step if {
	full := config.engagement.full_days
	d := decide(hot(at("2026-11-02T10:00:00Z", full)))
	d.rescore == false
	d.next_review_at == step("2026-11-02T10:00:00Z", full)
	d.escalations == []
	not d.move
	d.reasons == []
}

test_hot_lead_rescored_after_its_decay_step if {
	full := config.engagement.full_days
	d := decide(hot(step("2026-11-02T10:00:00Z", full)))
	d.rescore == true
	d.reasons[0].code == "SCHEDULE_RESCORE"

	# the next step: the end of the idle window counted from the lead's creation
	d.next_review_at == step("2026-10-01T08:00:00Z", config.engagement.window_days)
}

test_rescored_lead_is_not_due_again if {
	full := config.engagement.full_days
	x := object.union(hot(at("2026-11-02T10:00:00Z", full + 1)), {"qualified_at": step("2026-11-02T10:00:00Z", full)})
	decide(x).rescore == false
}

test_never_qualified_is_due if {
	x := object.remove(hot("2026-11-03T10:00:00Z"), {"qualified_at"})
	decide(x).rescore == true
}

test_idle_sql_moves_to_nurture if {
	m := config.schedule.moves[0]
	d := decide(hot(at("2026-11-02T10:00:00Z", m.idle_days)))
	d.move == {"to": m.to, "reason_code": m.reason_code, "rule": m.key}
	"SCHEDULE_MOVE" in {r.code | some r in d.reasons}
}

test_idle_move_waits_for_the_last_touch if {
	m := config.schedule.moves[0]
	x := object.union(hot(at("2026-11-02T10:00:00Z", m.idle_days)), {"activities": [
		{"kind": "meeting", "occurred_at": "2026-11-02T10:00:00Z"},
		{"kind": "web_visit", "occurred_at": "2026-11-20T10:00:00Z"},
	]})
	d := decide(x)
	not d.move
	d.next_review_at <= at("2026-11-20T10:00:00Z", m.idle_days)
}

test_idle_move_only_from_its_stages if {
	m := config.schedule.moves[0]
	x := object.union(hot(at("2026-11-02T10:00:00Z", m.idle_days)), {"lead": {"stage": "customer", "stage_entered_at": "2026-11-02T10:00:00Z"}})
	not decide(x).move
}

test_manual_move_back_holds if {
	m := config.schedule.moves[0]
	now := at("2026-11-02T10:00:00Z", m.idle_days)
	manual := {"from": "sql", "to": "sal", "at": at(now, -1)}
	x := object.union(hot(now), {"lead": {"stage": "sal", "stage_entered_at": "2026-11-02T10:00:00Z", "manual": manual}})
	d := decide(x)
	not d.move
	"SCHEDULE_MANUAL_HOLD" in {r.code | some r in d.reasons}
}

test_manual_hold_ends_on_revisit_activity if {
	m := config.schedule.moves[0]
	now := at("2026-11-02T10:00:00Z", m.idle_days + 10)
	manual := {"from": "sql", "to": "sal", "at": at("2026-11-02T10:00:00Z", 1)}
	x := object.union(hot(now), {
		"lead": {"stage": "sal", "stage_entered_at": "2026-11-02T10:00:00Z", "manual": manual},
		"activities": [{"kind": "meeting", "occurred_at": at("2026-11-02T10:00:00Z", 2)}],
	})
	decide(x).move.to == m.to
}

# An MQL entered on Monday 2026-11-30 at 10:00 Berlin; the shipped SLA is 2 business days.
mql(now, escalated) := {
	"now": now,
	"lead": {"id": "l2", "stage": "mql", "created_at": "2026-11-30T09:00:00Z", "stage_entered_at": "2026-11-30T09:00:00Z"},
	"activities": [{"kind": "form_fill", "occurred_at": "2026-11-30T09:00:00Z"}],
	"qualified_at": "2026-11-30T09:00:00Z",
	"escalated": escalated,
}

test_mql_sla_due_is_the_next_review if {
	d := decide(mql("2026-12-01T12:00:00Z", []))
	d.escalations == []
	d.next_review_at == "2026-12-02T23:00:00Z"
}

test_mql_past_sla_is_escalated if {
	d := decide(mql("2026-12-02T23:00:00Z", []))
	d.escalations == [{"rule": "mql_acceptance", "action": "flag_manager", "due_at": "2026-12-02T23:00:00Z"}]
	"SCHEDULE_ESCALATE" in {r.code | some r in d.reasons}
}

test_mql_escalated_once if {
	d := decide(mql("2026-12-04T12:00:00Z", ["mql_acceptance"]))
	d.escalations == []
}

test_accepted_lead_has_no_mql_sla if {
	x := object.union(mql("2026-12-04T12:00:00Z", []), {"lead": {"stage": "customer"}})
	d := decide(x)
	d.escalations == []
}

test_bare_input_is_defined if {
	d := decide({"now": "2026-12-04T12:00:00Z"})
	d.escalations == []
	is_boolean(d.rescore)
	is_string(d.next_review_at)
}

test_revisit_activity_ends_a_long_manual_hold if {
	m := config.schedule.moves[0]
	now := at("2026-11-02T10:00:00Z", m.idle_days + 10)
	manual := {"from": "sql", "to": "sal", "at": at("2026-11-02T10:00:00Z", 1)}
	x := object.union(hot(now), {
		"lead": {"stage": "sal", "stage_entered_at": "2026-11-02T10:00:00Z", "manual": manual},
		"activities": [{"kind": "meeting", "occurred_at": at("2026-11-02T10:00:00Z", 2)}],
	})
	decide(x).move.to == m.to with data.qualify.config.manual.revisit_after_days as 365
	not decide(object.union(x, {"activities": []})).move with data.qualify.config.manual.revisit_after_days as 365
}

test_first_due_move_wins if {
	moves := [
		{"key": "first", "from_stages": ["sql"], "idle_days": 10, "to": "nurture", "reason_code": "no_activity"},
		{"key": "second", "from_stages": ["sql"], "idle_days": 5, "to": "disqualified", "reason_code": "unreachable"},
	]
	d := decide(hot(at("2026-11-02T10:00:00Z", 20))) with data.qualify.config.schedule.moves as moves
	d.move.rule == "first"
}

# An SQL since 2026-11-02 10:00 with only a demo before its stay: the shipped sql_meeting rule
# wants a meeting within its days (calendar days) of the entry.
sql_lead(now, activities, escalated) := object.union(hot(now), {"activities": activities, "escalated": escalated})

test_sql_meeting_deadline_is_the_next_review if {
	r := config.schedule.activity_slas[0]
	d := decide(sql_lead(at("2026-11-02T10:00:00Z", 1), [{"kind": "demo", "occurred_at": "2026-11-01T10:00:00Z"}], []))
	d.escalations == []
	d.next_review_at == at("2026-11-02T10:00:00Z", r.days)
}

test_sql_without_meeting_is_handed_back if {
	r := config.schedule.activity_slas[0]
	d := decide(sql_lead(at("2026-11-02T10:00:00Z", r.days), [{"kind": "meeting", "occurred_at": "2026-11-01T10:00:00Z"}], []))
	d.escalations == [{"rule": r.key, "action": "reassign_previous_owner", "due_at": at("2026-11-02T10:00:00Z", r.days)}]
	"SCHEDULE_ESCALATE" in {x.code | some x in d.reasons}
}

test_sql_with_meeting_in_its_stay_is_left_alone if {
	r := config.schedule.activity_slas[0]
	meeting := [{"kind": "meeting", "occurred_at": at("2026-11-02T10:00:00Z", 3)}]
	d := decide(sql_lead(at("2026-11-02T10:00:00Z", r.days + 1), meeting, []))
	d.escalations == []
	d.next_review_at > at("2026-11-02T10:00:00Z", r.days + 1)
}

test_sql_meeting_escalated_once if {
	r := config.schedule.activity_slas[0]
	d := decide(sql_lead(at("2026-11-02T10:00:00Z", r.days + 5), [], [r.key]))
	d.escalations == []
}

test_meeting_rule_only_in_its_stage if {
	r := config.schedule.activity_slas[0]
	x := object.union(sql_lead(at("2026-11-02T10:00:00Z", r.days), [], []), {"lead": {"stage": "opportunity"}})
	decide(x).escalations == []
}
