# Says whether a lead may move between two stages, and why not.
package qualify.transition

import data.qualify.stages

position[s.key] := s.position if some s in stages

kind[s.key] := s.kind if some s in stages

decision := {"allow": count(denials) == 0, "reasons": denials}

denials contains {"code": "stage.unknown", "message": sprintf("unknown stage %q", [input.to])} if {
	not position[input.to]
}

denials contains {"code": "sql.needs_bant", "message": "SQL needs two of budget, authority, need and timing confirmed"} if {
	input.to == "sql"
	input.qualification.bant.confirmed < 2
}

denials contains {"code": "sql.needs_decision_maker", "message": "SQL needs a known decision maker"} if {
	input.to == "sql"
	not input.qualification.coverage.decision_maker
}

denials contains {"code": "backwards.needs_revops", "message": "only revenue ops may move a lead backwards"} if {
	backwards
	not input.actor.role in {"revops", "admin"}
}

denials contains {"code": "backwards.needs_reason", "message": "moving a lead backwards needs a reason"} if {
	backwards
	not input.reason
}

denials contains {"code": "disqualify.needs_reason_code", "message": "disqualifying needs a reason code"} if {
	input.to == "disqualified"
	not input.reason_code
}

backwards if {
	kind[input.from] == "open"
	kind[input.to] == "open"
	position[input.to] < position[input.from]
}

backwards if input.from == "disqualified"
