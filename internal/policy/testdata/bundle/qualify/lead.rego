# Scores a lead for fit (firmographics) and engagement (recent activity) and says which stage
# it belongs in.
package qualify.lead

import data.qualify.config as cfg

decision := {
	"fit_score": fit_score,
	"engagement_score": engagement_score,
	"score": score,
	"grade": grade,
	"temperature": temperature,
	"bant": bant,
	"coverage": coverage,
	"project_signal": project_signal,
	"stage": stage,
	"reasons": (fit_reasons | engagement_reasons),
}

# Fit.

fit_reasons contains {"code": "fit.industry", "message": sprintf("industry %s", [input.account.industry]), "points": p} if {
	p := cfg.fit.industries[input.account.industry]
}

fit_reasons contains {"code": "fit.size", "message": sprintf("%d employees", [input.account.employee_count]), "points": p} if {
	bands := [b.points | some b in cfg.fit.employee_bands; input.account.employee_count >= b.min]
	count(bands) > 0
	p := bands[0]
}

fit_reasons contains {"code": "fit.region", "message": sprintf("region %s", [input.account.region]), "points": p} if {
	p := cfg.fit.regions[input.account.region]
}

fit_reasons contains {"code": "fit.decision_maker", "message": "a decision maker is known", "points": cfg.fit.decision_maker_points} if {
	coverage.decision_maker
}

fit_reasons contains {"code": "fit.project", "message": "an active project at the account", "points": cfg.project_points} if {
	project_signal
}

fit_score := sum([r.points | some r in fit_reasons])

# Engagement: activity of the last window_days, capped.

now_ns := time.parse_rfc3339_ns(input.now)

window_ns := ((cfg.engagement.window_days * 24) * 3600) * 1000000000

recent := [a |
	some a in input.activities
	now_ns - time.parse_rfc3339_ns(a.occurred_at) <= window_ns
]

engagement_reasons contains {"code": sprintf("engagement.%s", [kind]), "message": sprintf("%d × %s in %d days", [n, kind, cfg.engagement.window_days]), "points": n * p} if {
	some kind in {a.kind | some a in recent}
	p := object.get(cfg.engagement.points, kind, 0)
	n := count([1 | some a in recent; a.kind == kind])
}

engagement_score := min([sum([r.points | some r in engagement_reasons]), cfg.engagement.max])

# Totals.

score := fit_score + engagement_score

default grade := "D"

grade := passed[0] if {
	passed := [b.grade | some b in cfg.grades; score >= b.min]
	count(passed) > 0
}

temperature := "hot" if score >= cfg.temperature.hot

else := "warm" if score >= cfg.temperature.warm

else := "cold"

# BANT and buying roles.

roles := {c.buying_role | some c in input.contacts}

coverage := {
	"decision_maker": "decision_maker" in roles,
	"recommender": "recommender" in roles,
	"influencer": "influencer" in roles,
}

authority := "yes" if coverage.decision_maker

else := input.lead.authority

confirmed := count([x | some x in [input.lead.budget, authority, input.lead.need, input.lead.timing]; x == "yes"])

bant := {
	"budget": input.lead.budget,
	"authority": authority,
	"need": input.lead.need,
	"timing": input.lead.timing,
	"confirmed": confirmed,
	"status": bant_status,
}

bant_status := "qualified" if confirmed >= 3

else := "partial" if confirmed >= 1

else := "unqualified"

default project_signal := false

project_signal if {
	some p in input.projects
	p.status in {"planned", "scheduled", "in_progress"}
}

# Stage: a lead that scores enough becomes an MQL; other stages are moved by people.

stage := "mql" if {
	input.lead.stage == "lead"
	score >= cfg.mql_score
} else := input.lead.stage
