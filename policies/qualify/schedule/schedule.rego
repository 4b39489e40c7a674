# Package qualify.schedule says, for a lead and `now`, which timed rules are due and when the
# lead should next be looked at. Query data.qualify.schedule.decision with a
# contract.ScheduleInput; the result is a contract.ScheduleDecision:
#   rescore        the stored qualification is older than a decay step of its activities (or the
#                  end of the idle window): deciding the lead again changes its engagement, score,
#                  grade, temperature and perhaps its stage
#   move           a rule of config.schedule.moves is due: {to, reason_code, rule}, else absent
#   escalations    the SLAs of config.schedule.slas past their deadline, and the rules of
#                  config.schedule.activity_slas whose activity did not occur in time, not yet
#                  escalated for this stay in the stage: {rule, action, due_at}
#   next_review_at the earliest moment a rule may fall due after now (RFC 3339), "" when none
# A person's move back respects config.manual like the lead decision does: no scheduled move
# while it holds.
package qualify.schedule

config := data.qualify.config

cal := config.schedule

stages := {s.key: s | some s in data.qualify.stages}

decision := {
	"rescore": rescore,
	"escalations": escalations,
	"next_review_at": next_review_at,
	"reasons": sort(reasons),
} if {
	not move
} else := {
	"rescore": rescore,
	"move": move,
	"escalations": escalations,
	"next_review_at": next_review_at,
	"reasons": sort(reasons),
}

# --- the input, with safe defaults ----------------------------------------------------------------

lead_in := input.lead if {
	is_object(input.lead)
} else := {}

stage := object.get(lead_in, "stage", "")

now_ns := time.parse_rfc3339_ns(input.now)

# ns(s): an RFC 3339 string as nanoseconds; undefined when it is not one.
ns(s) := time.parse_rfc3339_ns(s) if is_string(s)

entered_ns := ns(object.get(lead_in, "stage_entered_at", null))

created_ns := ns(object.get(lead_in, "created_at", null))

# qualified_ns: when the stored qualification was decided; never (0) makes every step due.
qualified_ns := t if {
	t := ns(object.get(input, "qualified_at", null))
} else := 0

activity_ns := [t |
	some a in object.get(input, "activities", [])
	t := ns(a.occurred_at)
]

escalated := {k | some k in object.get(input, "escalated", [])}

days(n) := n * day_ns

# --- re-score: the decay steps of engagement, and the end of the idle window ---------------------

# steps are the moments the lead decision's result may change by age alone: a second after an
# activity is full_days or window_days old (the lead decision counts exactly N days as at most
# N days old, to the second), and a second after the lead's creation is window_days old (idle).
steps := {t |
	e := config.engagement
	some a in activity_ns
	some d in [e.full_days, e.window_days]
	t := (a + days(d)) + second
} | {(created_ns + days(config.engagement.window_days)) + second}

second := 1000000000

rescore if {
	some t in steps
	qualified_ns < t
	t <= now_ns
}

# a lead never qualified (or with a broken stamp) is due as well.
rescore if not ns(object.get(input, "qualified_at", null))

default rescore := false

# --- moves: no activity for idle_days in one of from_stages --------------------------------------

# last_touch: the latest activity, or the entry into the stage when later (a move is a touch).
last_touch := max(array.concat(activity_ns, [entered_ns]))

# move_due_at lists [due, index] of the moves of the lead's stage.
move_due := [[t, i] |
	some i, m in cal.moves
	stage in m.from_stages
	t := last_touch + days(m.idle_days)
]

move := {"to": m.to, "reason_code": m.reason_code, "rule": m.key} if {
	not manual_hold
	some [t, i] in move_due
	t <= now_ns
	m := cal.moves[i]
	not earlier_due_move(i)
}

earlier_due_move(i) if {
	some [t, j] in move_due
	t <= now_ns
	j < i
}

# manual_hold: a person moved the lead back into this stage and config.manual still holds it
# (no revisit activity since, revisit_after_days not passed).
manual_hold if {
	m := lead_in.manual
	m.to == stage
	stages[m.from].position > stages[stage].position
	stages[stage].kind == "open"
	at := ns(m.at)
	now_ns < at + days(config.manual.revisit_after_days)
	not revisited(at)
}

revisited(at) if {
	some a in object.get(input, "activities", [])
	a.kind in config.manual.revisit_activity_kinds
	ns(a.occurred_at) > at
}

# --- SLAs: at most business_days in the stage ----------------------------------------------------

sla_deadlines := [[t, s] |
	some s in cal.slas
	s.stage == stage
	t := business_deadline(entered_ns, s.business_days)
]

sla_escalations := [{"rule": s.key, "action": s.action, "due_at": time.format(t)} |
	some [t, s] in sla_deadlines
	t <= now_ns
	not s.key in escalated
]

# --- activity SLAs: an activity of met_by_activities within `days` calendar days of the stay --------

# Met by the activity, not by leaving the stage: an SQL without a meeting in 14 days goes back to
# its BDR. An activity at or after the entry counts even when it came late, so that a lead that has
# its meeting by the time it is reviewed is not handed back.
activity_deadlines := [[t, s] |
	some s in object.get(cal, "activity_slas", [])
	s.stage == stage
	not met_in_stay(s)
	t := entered_ns + days(s.days)
]

met_in_stay(s) if {
	some a in object.get(input, "activities", [])
	a.kind in s.met_by_activities
	ns(a.occurred_at) >= entered_ns
}

activity_escalations := [{"rule": s.key, "action": s.action, "due_at": time.format(t)} |
	some [t, s] in activity_deadlines
	t <= now_ns
	not s.key in escalated
]

escalations := array.concat(sla_escalations, activity_escalations)

# --- next review ---------------------------------------------------------------------------------

# candidates: every moment after now at which a rule may fall due.
candidates contains t if {
	some t in steps
	t > now_ns
}

candidates contains t if {
	some [t, _] in move_due
	t > now_ns
}

candidates contains t if {
	manual_hold
	t := ns(lead_in.manual.at) + days(config.manual.revisit_after_days)
}

candidates contains t if {
	some [t, _] in sla_deadlines
	t > now_ns
}

candidates contains t if {
	some [t, _] in activity_deadlines
	t > now_ns
}

next_review_at := time.format(min(candidates)) if {
	count(candidates) > 0
} else := ""

# --- reasons -------------------------------------------------------------------------------------

reasons contains {"code": "SCHEDULE_RESCORE", "message": "engagement has aged since the last qualification", "points": 0} if rescore

reasons contains {"code": "SCHEDULE_MOVE", "message": sprintf("%s: no activity for %d days, move to %s", [move.rule, m.idle_days, move.to]), "points": 0} if {
	some m in cal.moves
	m.key == move.rule
}

reasons contains {"code": "SCHEDULE_MANUAL_HOLD", "message": "a person moved the lead back: no scheduled move while that decision holds", "points": 0} if manual_hold

reasons contains {"code": "SCHEDULE_ESCALATE", "message": sprintf("%s: in %s past %s, %s", [e.rule, stage, e.due_at, e.action]), "points": 0} if {
	some e in escalations
}
