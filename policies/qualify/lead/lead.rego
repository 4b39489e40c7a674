# Package qualify.lead scores a lead (score.rego) and recommends the stage it belongs in now.
# Query data.qualify.lead.decision with a contract.LeadInput; the result is a contract.LeadDecision,
# defined for any input of that shape (null account, no contacts, activities or projects).
package qualify.lead

decision := {
	"fit_score": fit_score,
	"engagement_score": engagement_score,
	"score": score,
	"grade": grade,
	"temperature": temperature,
	"bant": bant,
	"coverage": coverage,
	"project_signal": project_signal,
	"stage": recommendation.stage,
	"disqualify_reason_code": disqualify_reason_code,
	"reasons": sort(reason_set),
}

stages := {s.key: s | some s in data.qualify.stages}

# current is the lead's stage; an unknown one reads as "lead".
current := lead.stage if {
	stages[lead.stage]
} else := "lead"

current_kind := stages[current].kind

disqualify_reason_code := misfit_code if {
	recommendation.stage == "disqualified"
} else := ""

# Exactly one STAGE_* reason explains the recommendation.
reason_set contains {"code": recommendation.code, "message": recommendation.message, "points": 0}

# --- the furthest stage the evidence supports ---------------------------------------------------

# in_window(kinds) lists, in the order given, those of `kinds` with an activity inside the window.
in_window(kinds) := [k | w := activity.kinds; some k in kinds; k in w]

mql_kinds := in_window(data.qualify.config.mql.activity_kinds)

sal_kinds := in_window(data.qualify.config.sal.activity_kinds)

sql_ready if {
	bant.need == "yes"
	budget_or_timing
	decision_maker_known
}

sal_fit if fit_score >= data.qualify.config.sal.min_fit

qualified := {
	"stage": "sql",
	"code": "STAGE_SQL_BANT",
	"message": "need confirmed, budget or timing confirmed, decision maker known",
} if {
	sql_ready
} else := {
	"stage": "sal",
	"code": "STAGE_SAL_CONVERSATION",
	"message": concat("", ["recent ", concat(", ", sal_kinds), " and a fit of at least ", format_int(data.qualify.config.sal.min_fit, 10)]),
} if {
	sal_fit
	count(sal_kinds) > 0
} else := {
	"stage": "sal",
	"code": "STAGE_SAL_PROJECT",
	"message": concat("", ["identified project and a fit of at least ", format_int(data.qualify.config.sal.min_fit, 10)]),
} if {
	sal_fit
	data.qualify.config.sal.project_counts == true
	project_signal
} else := {
	"stage": "mql",
	"code": "STAGE_MQL_ENGAGEMENT",
	"message": concat("", ["recent ", concat(", ", mql_kinds)]),
} if {
	count(mql_kinds) > 0
} else := {
	"stage": "mql",
	"code": "STAGE_MQL_SCORE",
	"message": concat("", ["engagement reaches the MQL threshold of ", format_int(data.qualify.config.mql.threshold, 10)]),
} if {
	engagement_score >= data.qualify.config.mql.threshold
} else := {
	"stage": "lead",
	"code": "STAGE_LEAD_NO_SIGNAL",
	"message": "no MQL signal yet",
}

# nurture_due: cold, idle for the whole window, early in the funnel and not otherwise qualifying.
nurture_due if {
	qualified.stage == "lead"
	temperature == "cold"
	idle
	current in data.qualify.config.nurture.from_stages
}

# --- the recommendation: never behind the current open stage ----------------------------------

recommendation := {
	"stage": current,
	"code": "STAGE_KEEP_WON",
	"message": "a won stage is final for the policy",
} if {
	current_kind == "won"
} else := {
	"stage": current,
	"code": "STAGE_KEEP_LOST",
	"message": "a lost stage changes only by a revenue-ops decision",
} if {
	current_kind == "lost"
} else := {
	"stage": "disqualified",
	"code": "STAGE_DISQUALIFIED_MISFIT",
	"message": concat(": ", ["hard misfit", misfit_code]),
} if {
	misfit_code
} else := qualified if {
	current_kind == "parked"
	qualified.stage != "lead"
} else := {
	"stage": current,
	"code": "STAGE_KEEP_PARKED",
	"message": "stays parked until it qualifies again",
} if {
	current_kind == "parked"
} else := {
	"stage": "nurture",
	"code": "STAGE_NURTURE_COLD",
	"message": concat("", ["cold, and no activity in the last ", format_int(data.qualify.config.engagement.window_days, 10), " days"]),
} if {
	nurture_due
} else := qualified if {
	stages[qualified.stage].position >= stages[current].position
} else := {
	"stage": current,
	"code": "STAGE_KEEP",
	"message": "the policy never moves a lead back",
}
