# Manual decisions stand: when a person parked a lead, disqualified it or moved it back, the
# recommendation keeps it where that person put it until a stated reason to revisit: a new
# activity of config.manual.revisit_activity_kinds after the decision, revisit_after_days passed
# since it, or a hard misfit. input.lead.manual is the person's move into the current stage.
package qualify.lead

recommendation := {
	"stage": current,
	"code": "STAGE_KEEP_MANUAL",
	"message": concat("", [
		"kept at ", current, ": ", manual_kind, " by a person on ", substring(manual.at, 0, 10),
		" (the evidence says ", evidence_recommendation.stage, "); revisited on new ",
		concat(", ", config.manual.revisit_activity_kinds), " or after ",
		format_int(config.manual.revisit_after_days, 10), " days",
	]),
} if {
	manual_hold
	evidence_recommendation.stage != current
} else := evidence_recommendation

# manual is the person's move that put the lead in its current stage, when there is one.
manual := m if {
	m := object.get(lead_in, "manual", null)
	is_object(m)
	m.to == current
	is_string(m.at)
}

# manual_kind names the decisions that hold: a park, a disqualification, a move back.
manual_kind := "parked" if {
	stages[manual.to].kind == "parked"
} else := "disqualified" if {
	stages[manual.to].kind == "lost"
} else := "moved back" if {
	stages[manual.from].kind in {"open", "won"}
	stages[manual.to].kind in {"open", "won"}
	stages[manual.to].position < stages[manual.from].position
}

# revisit: the stated reasons a manual decision no longer holds.
revisit if {
	some a in input.activities
	a.kind in config.manual.revisit_activity_kinds
	a.occurred_at > manual.at
}

revisit if manual.at < time.format(time.add_date(now_ns, 0, 0, 0 - config.manual.revisit_after_days))

revisit if misfit_code

manual_hold if {
	manual_kind
	not revisit
}
