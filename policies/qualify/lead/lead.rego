# Package qualify.lead scores a lead (score.rego) and recommends the stage it belongs in now.
# Query data.qualify.lead.decision with a contract.LeadInput; the result is a contract.LeadDecision,
# defined for any input of that shape (null account, no contacts, activities or projects).
package qualify.lead

decision := {
	"fit_score": f.score,
	"engagement_score": e.score,
	"score": total,
	"grade": grade(total),
	"temperature": temperature(e.score),
	"bant": bant,
	"coverage": coverage,
	"project_signal": project_signal,
	"stage": r.stage,
	"disqualify_reason_code": disqualify_reason_code(r.stage),
	"reasons": sort(reasons),
} if {
	f := fit
	e := engagement
	r := recommendation

	# reasons: those of each part of the score, and exactly one STAGE_* reason that explains the
	# recommendation. Every point comes with a reason, so the score is the sum of their points
	# (the STAGE_* and misfit reasons carry 0, ENGAGEMENT_CAP the negative excess over the cap).
	reasons := array.concat(
		array.concat(array.concat(f.reasons, misfit.reasons), array.concat(e.reasons, bant_reasons)),
		array.concat(array.concat(coverage_reasons, project_reasons), [{"code": r.code, "message": r.message, "points": 0}]),
	)
	total := sum([x.points | some x in reasons])
}

# config is data.qualify.config: the knobs (see score.rego for why rules read it through here).
config := data.qualify.config

stages := {s.key: s | some s in data.qualify.stages}

# current is the lead's stage; an unknown one reads as "lead".
current := s if {
	s := object.get(lead_in, "stage", "lead")
	stages[s]
} else := "lead"

current_kind := stages[current].kind

# disqualify_reason_code(stage) is the misfit code when the recommended stage is disqualified.
disqualify_reason_code(stage) := misfit_code if {
	stage == "disqualified"
} else := ""

# --- the furthest stage the evidence supports ---------------------------------------------------

# in_window(kinds) lists, in the order given, those of `kinds` with an activity inside the window.
in_window(kinds) := [k | w := window_kinds; some k in kinds; w[k]]

# decision_maker_known: a decision-maker contact, or BANT authority confirmed (when configured).
decision_maker_known if coverage.decision_maker

decision_maker_known if {
	config.sql.authority_counts_as_decision_maker == true
	bant.authority == "yes"
}

sal_fit if fit.score >= config.sal.min_fit

qualified := {
	"stage": "sql",
	"code": "STAGE_SQL_BANT",
	"message": "need confirmed, budget or timing confirmed, decision maker known",
} if {
	# need confirmed, budget or timing confirmed, and a decision maker known
	b := bant
	b.need == "yes"
	"yes" in {b.budget, b.timing}
	decision_maker_known
} else := {
	"stage": "sal",
	"code": "STAGE_SAL_CONVERSATION",
	"message": concat("", ["recent ", concat(", ", sal_kinds), " and a fit of at least ", format_int(config.sal.min_fit, 10)]),
} if {
	sal_fit
	sal_kinds := in_window(config.sal.activity_kinds)
	count(sal_kinds) > 0
} else := {
	"stage": "sal",
	"code": "STAGE_SAL_PROJECT",
	"message": concat("", ["identified project and a fit of at least ", format_int(config.sal.min_fit, 10)]),
} if {
	sal_fit
	config.sal.project_counts == true
	project_signal
} else := {
	"stage": "mql",
	"code": "STAGE_MQL_ENGAGEMENT",
	"message": concat("", ["recent ", concat(", ", mql_kinds)]),
} if {
	mql_kinds := in_window(config.mql.activity_kinds)
	count(mql_kinds) > 0
} else := {
	"stage": "mql",
	"code": "STAGE_MQL_SCORE",
	"message": concat("", ["engagement reaches the MQL threshold of ", format_int(config.mql.threshold, 10)]),
} if {
	engagement.score >= config.mql.threshold
} else := {
	"stage": "lead",
	"code": "STAGE_LEAD_NO_SIGNAL",
	"message": "no MQL signal yet",
}

# nurture_due: cold, idle for the whole window, early in the funnel and not otherwise qualifying.
nurture_due if {
	qualified.stage == "lead"
	temperature(engagement.score) == "cold"
	idle
	current in config.nurture.from_stages
}

# --- the recommendation on the evidence: never behind the current open stage -------------------
# (manual.rego holds it where a person decided otherwise)

evidence_recommendation := {
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
	"message": concat("", ["cold, and no activity in the last ", format_int(config.engagement.window_days, 10), " days"]),
} if {
	nurture_due
} else := qualified if {
	stages[qualified.stage].position >= stages[current].position
} else := {
	"stage": current,
	"code": "STAGE_KEEP",
	"message": "the policy never moves a lead back",
}
