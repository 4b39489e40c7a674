# Package qualify.transition decides whether a lead may move from one stage to another.
# Query data.qualify.transition.decision with a contract.TransitionInput; the result is a
# contract.TransitionDecision: allowed when no rule refuses, otherwise every refusal with its code.
package qualify.transition

# config is data.qualify.config, cfg its transition knobs. Rules read knobs through these two
# rather than as data.qualify.config.… refs: each lookup of a rule re-reads the base-data refs of
# its body to index it, while a ref to a rule costs nothing there.
config := data.qualify.config

cfg := config.transition

decision := {"allow": count(refusals) == 0, "reasons": sort(refusals)}

stages := {s.key: s | some s in data.qualify.stages}

# --- the request, with safe defaults for missing fields ----------------------------------------

from := object.get(input, "from", "")

to := object.get(input, "to", "")

role := object.get(input, ["actor", "role"], "")

# trigger defaults to "manual" when empty.
trigger := t if {
	t := object.get(input, "trigger", "")
	t != ""
} else := "manual"

auto if trigger in cfg.auto_triggers

reason_text := trim_space(t) if {
	t := input.reason
	is_string(t)
} else := ""

# reason_code: the caller's; for an automatic move the qualification's disqualify code, or the
# configured nurture code.
reason_code := c if {
	c := object.get(input, "reason_code", "")
	c != ""
} else := object.get(q, "disqualify_reason_code", "") if {
	auto
	to_kind == "lost"
} else := config.nurture.auto_reason_code if {
	auto
	to_kind == "parked"
} else := ""

q := input.qualification if {
	is_object(input.qualification)
} else := {}

q_stage := object.get(q, "stage", "")

# --- shape of the move ---------------------------------------------------------------------------

funnel_kinds := {"open", "won"}

from_kind := stages[from].kind

to_kind := stages[to].kind

move if {
	stages[from]
	stages[to]
	from != to
}

# backward: to an earlier funnel stage, or any move out of a won stage.
backward if {
	move
	from_kind in funnel_kinds
	to_kind in funnel_kinds
	stages[to].position < stages[from].position
}

backward if {
	move
	from_kind == "won"
}

# entering: into a funnel stage, and not backward; the target stage's criteria apply.
entering if {
	move
	to_kind in funnel_kinds
	not backward
}

# at_least(stage): the qualification already puts the lead at `stage` or further in the funnel.
at_least(stage) if {
	stages[q_stage].kind in funnel_kinds
	stages[q_stage].position >= stages[stage].position
}

decision_maker_known if object.get(q, ["coverage", "decision_maker"], false) == true

decision_maker_known if {
	config.sql.authority_counts_as_decision_maker == true
	object.get(q, ["bant", "authority"], "") == "yes"
}

refusal(code, message) := {"code": code, "message": message, "points": 0}

# --- stages, roles and triggers ------------------------------------------------------------------

refusals contains refusal("UNKNOWN_STAGE", sprintf("unknown stage %q", [s])) if {
	some s in [from, to]
	not stages[s]
}

refusals contains refusal("SAME_STAGE", sprintf("the lead is already at %s", [to])) if {
	stages[to]
	from == to
}

refusals contains refusal("ROLE_CANNOT_TRANSITION", sprintf("role %q may not move leads", [role])) if {
	not role in cfg.roles
}

refusals contains refusal("UNKNOWN_TRIGGER", sprintf("unknown trigger %q", [trigger])) if {
	not trigger in cfg.triggers
}

refusals contains refusal("AUTO_TRIGGER_NEEDS_SYSTEM", sprintf("trigger %s is reserved for the system actor", [trigger])) if {
	auto
	role != "system"
}

refusals contains refusal("SYSTEM_TRIGGER_NOT_ALLOWED", sprintf("the system actor may not use trigger %s", [trigger])) if {
	role == "system"
	not trigger in cfg.system_triggers
}

# --- automatic moves follow the qualification, forward or out of the funnel -------------------

refusals contains refusal("AUTO_NOT_RECOMMENDED", sprintf("the qualification recommends %q, not %s", [q_stage, to])) if {
	auto
	move
	to != q_stage
	not scheduled_move
}

# scheduled_move: a time rule of config.schedule.moves (trigger schedule) moves the lead, with
# that rule's target and reason code, whatever the qualification recommends.
scheduled_move if {
	trigger == "schedule"
	some m in config.schedule.moves
	from in m.from_stages
	m.to == to
	m.reason_code == reason_code
}

refusals contains refusal("AUTO_CANNOT_MOVE_BACKWARD", "automatic moves never go backward") if {
	auto
	backward
}

# --- backward moves and leaving a closed or parked stage ---------------------------------------

refusals contains refusal("BACKWARD_NEEDS_ROLE", sprintf("moving back from %s needs one of the roles %s", [from, concat(", ", cfg.backward_roles)])) if {
	backward
	not auto
	not role in cfg.backward_roles
}

refusals contains refusal("BACKWARD_NEEDS_REASON", "moving back needs a reason") if {
	backward
	not auto
	reason_text == ""
}

refusals contains refusal("LEAVE_DISQUALIFIED_NEEDS_ROLE", sprintf("leaving %s needs one of the roles %s", [from, concat(", ", cfg.leave_disqualified_roles)])) if {
	move
	from_kind == "lost"
	not role in cfg.leave_disqualified_roles
}

refusals contains refusal("LEAVE_DISQUALIFIED_NEEDS_REASON", sprintf("leaving %s needs a reason", [from])) if {
	move
	from_kind == "lost"
	reason_text == ""
}

refusals contains refusal("LEAVE_NURTURE_NEEDS_ROLE", sprintf("bringing a lead back from %s needs one of the roles %s", [from, concat(", ", cfg.leave_nurture_roles)])) if {
	entering
	from_kind == "parked"
	not role in cfg.leave_nurture_roles
}

# --- entering disqualified or nurture needs a known reason code --------------------------------

refusals contains refusal("DISQUALIFY_NEEDS_REASON_CODE", "disqualifying needs a reason code") if {
	move
	to_kind == "lost"
	reason_code == ""
}

refusals contains refusal("DISQUALIFY_UNKNOWN_REASON_CODE", sprintf("unknown disqualify reason code %q (allowed: %s)", [reason_code, concat(", ", cfg.disqualify_reason_codes)])) if {
	move
	to_kind == "lost"
	reason_code != ""
	not reason_code in cfg.disqualify_reason_codes
}

refusals contains refusal("NURTURE_NEEDS_REASON_CODE", "moving to nurture needs a reason code") if {
	move
	to_kind == "parked"
	reason_code == ""
}

refusals contains refusal("NURTURE_UNKNOWN_REASON_CODE", sprintf("unknown nurture reason code %q (allowed: %s)", [reason_code, concat(", ", cfg.nurture_reason_codes)])) if {
	move
	to_kind == "parked"
	reason_code != ""
	not reason_code in cfg.nurture_reason_codes
}

# --- entry criteria of the target stage ----------------------------------------------------------

refusals contains refusal("ROLE_CANNOT_ENTER_STAGE", sprintf("role %q may not move a lead to %s", [role, to])) if {
	entering
	allowed := cfg.entry_roles[to]
	not role in allowed
}

refusals contains refusal(code, sprintf("%s is reached only from %s", [to, concat(" or ", allowed)])) if {
	entering
	allowed := cfg.only_from[to]
	not from in allowed
	code := upper(concat("_", [to, "only_from", concat("_or_", allowed)]))
}

refusals contains refusal("MQL_NEEDS_ENGAGEMENT", "an MQL needs engagement or a qualification at MQL or beyond") if {
	entering
	to == "mql"
	not at_least("mql")
	object.get(q, "engagement_score", 0) < cfg.mql_min_engagement
}

refusals contains refusal("SAL_NEEDS_FIT", sprintf("an SAL needs a fit of at least %d or a qualification at SAL or beyond", [config.sal.min_fit])) if {
	entering
	to == "sal"
	not at_least("sal")
	object.get(q, "fit_score", 0) < config.sal.min_fit
}

refusals contains refusal("SQL_NEEDS_NEED", "an SQL needs a confirmed need") if {
	entering
	to == "sql"
	object.get(q, ["bant", "need"], "") != "yes"
}

refusals contains refusal("SQL_NEEDS_BUDGET_OR_TIMING", "an SQL needs a confirmed budget or timing") if {
	entering
	to == "sql"
	object.get(q, ["bant", "budget"], "") != "yes"
	object.get(q, ["bant", "timing"], "") != "yes"
}

refusals contains refusal("SQL_NEEDS_DECISION_MAKER", "an SQL needs a known decision maker") if {
	entering
	to == "sql"
	not decision_maker_known
}
