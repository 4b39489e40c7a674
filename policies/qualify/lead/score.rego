# Scoring half of qualify.lead: fit against the ideal customer profile, engagement with a step
# decay by age, BANT, buying-role coverage and the project signal. Every point comes with a
# reason in reason_set; the knobs live in data.qualify.config.
#
# Written for speed (one decision should cost tens of microseconds): each loop sits in a small
# rule body, data subtrees are bound to locals before a loop, no number is parsed or divided
# per activity, and times are compared as RFC 3339 UTC strings against cut-offs computed once.
package qualify.lead

# lead and account carry every field the policy reads, so a missing field or a null account
# never leaves the decision undefined.
lead := object.union(lead_defaults, input.lead) if {
	is_object(input.lead)
} else := lead_defaults

lead_defaults := {
	"stage": "lead", "budget": "unknown", "authority": "unknown", "need": "unknown",
	"timing": "unknown", "country": "", "created_at": "",
}

account := object.union(account_defaults, input.account) if {
	is_object(input.account)
} else := account_defaults

account_defaults := {"industry": "", "employee_count": 0, "region": "", "country": ""}

has_account if is_object(input.account)

# --- fit: firmographics against the ideal customer profile ---------------------------------

fit_industry := object.get(data.qualify.config.fit.industries, account.industry, 0)

fit_region := object.get(data.qualify.config.fit.regions, account.region, 0)

# fit_employees: points of the last range (ascending by min) whose min is at most the count.
fit_employees := array.concat([0], ps)[count(ps)] if {
	n := account.employee_count
	ps := [r.points | some r in data.qualify.config.fit.employee_ranges; r.min <= n]
}

fit_score := (fit_industry + fit_region) + fit_employees

reason_set contains {"code": "FIT_INDUSTRY", "message": "industry is in the ideal customer profile", "points": fit_industry} if {
	fit_industry != 0
}

reason_set contains {"code": "FIT_REGION", "message": "region is in the ideal customer profile", "points": fit_region} if {
	fit_region != 0
}

reason_set contains {"code": "FIT_EMPLOYEES", "message": "company size is in the ideal customer profile", "points": fit_employees} if {
	fit_employees != 0
}

reason_set contains {"code": "FIT_NO_ACCOUNT", "message": "no account: fit is 0 until the company is known", "points": 0} if {
	not has_account
}

# --- hard misfits: excluded countries and industries disqualify ----------------------------

# country is the account's, else the lead's own.
country := upper(account.country) if {
	account.country != ""
} else := upper(lead.country)

excluded_country if country in data.qualify.config.fit.excluded_countries

excluded_industry if account.industry in data.qualify.config.fit.excluded_industries

# misfit_code is the disqualify reason code of the first hard misfit (country before industry).
misfit_code := "excluded_country" if {
	excluded_country
} else := "excluded_industry" if {
	excluded_industry
}

reason_set contains {"code": "FIT_EXCLUDED_COUNTRY", "message": concat(" ", ["country", country, "is excluded"]), "points": 0} if {
	excluded_country
}

reason_set contains {"code": "FIT_EXCLUDED_INDUSTRY", "message": concat(" ", ["industry", account.industry, "is excluded"]), "points": 0} if {
	excluded_industry
}

# --- engagement: full points for fresh activity, decayed_percent inside the window ----------

now_ns := t if {
	t := time.parse_rfc3339_ns(input.now)
} else := time.now_ns()

# Cut-offs as RFC 3339 UTC strings: occurred_at >= cut-off means "at most N days old".
full_cutoff := time.format(time.add_date(now_ns, 0, 0, 0 - data.qualify.config.engagement.full_days))

window_cutoff := time.format(time.add_date(now_ns, 0, 0, 0 - data.qualify.config.engagement.window_days))

# window_kinds lists the kind of every activity inside the window (triggers and nurture use it).
window_kinds := ks if {
	c := window_cutoff
	ks := [a.kind | some a in input.activities; a.occurred_at >= c]
}

# fresh_points and window_points are the points of the scored activities of either age.
fresh_points := ps if {
	c := full_cutoff
	pts := data.qualify.config.engagement.points
	ps := [p | some a in input.activities; a.occurred_at >= c; p := pts[a.kind]]
}

window_points := ps if {
	pts := data.qualify.config.engagement.points
	ps := [p | some k in window_kinds; p := pts[k]]
}

engagement_fresh := sum(fresh_points)

# engagement_decayed is decayed_percent of the older in-window points, rounded half up.
engagement_decayed := (x - (x % 100)) / 100 if {
	older := max([0, sum(window_points) - engagement_fresh])
	x := (older * data.qualify.config.engagement.decayed_percent) + 50
}

engagement_raw := engagement_fresh + engagement_decayed

engagement_score := min([engagement_raw, data.qualify.config.engagement.cap])

reason_set contains {
	"code": "ENGAGEMENT_FRESH",
	"message": sprintf("%d activities in the last %d days", [count(fresh_points), data.qualify.config.engagement.full_days]),
	"points": engagement_fresh,
} if {
	engagement_fresh != 0
}

reason_set contains {
	"code": "ENGAGEMENT_DECAYED",
	"message": sprintf("%d older activities inside %d days at %d%%", [count(window_points) - count(fresh_points), data.qualify.config.engagement.window_days, data.qualify.config.engagement.decayed_percent]),
	"points": engagement_decayed,
} if {
	engagement_decayed != 0
}

reason_set contains {"code": "ENGAGEMENT_CAP", "message": "engagement is capped", "points": engagement_score - engagement_raw} if {
	engagement_raw > engagement_score
}

temperature := "hot" if {
	engagement_score >= data.qualify.config.temperature.hot
} else := "warm" if {
	engagement_score >= data.qualify.config.temperature.warm
} else := "cold"

# idle: no activity inside the window, and the lead itself is older than the window.
idle if {
	count(window_kinds) == 0
	created := lead.created_at
	is_string(created)
	created != ""
	created < window_cutoff
}

# --- BANT -------------------------------------------------------------------------------------

bant := {"budget": b, "authority": a, "need": n, "timing": t, "confirmed": yes, "status": bant_status(n, yes)} if {
	l := lead
	b := object.get(answers, l.budget, "unknown")
	a := object.get(answers, l.authority, "unknown")
	n := object.get(answers, l.need, "unknown")
	t := object.get(answers, l.timing, "unknown")
	yes := count([1 | some v in [b, a, n, t]; v == "yes"])
}

answers := {"yes": "yes", "no": "no"}

bant_status(need, yes) := "unqualified" if {
	need == "no"
} else := "unqualified" if {
	yes == 0
} else := "qualified" if {
	need == "yes"
	yes >= data.qualify.config.bant.qualified_min_confirmed
} else := "partial"

bant_reasons := [r |
	b := bant
	pts := data.qualify.config.bant.points
	some k in ["authority", "budget", "need", "timing"]
	b[k] == "yes"
	r := {"code": concat("_", ["BANT", upper(k)]), "message": concat(" ", [k, "confirmed"]), "points": pts[k]}
]

bant_points := sum([r.points | some r in bant_reasons])

reason_set contains r if some r in bant_reasons

budget_or_timing if bant.budget == "yes"

budget_or_timing if bant.timing == "yes"

# --- buying-role coverage among the lead's and its account's contacts -------------------------

coverage := {"decision_maker": "decision_maker" in roles, "recommender": "recommender" in roles, "influencer": "influencer" in roles} if {
	roles := {c.buying_role | some c in input.contacts}
}

coverage_reasons := [r |
	cov := coverage
	pts := data.qualify.config.coverage.points
	some role in ["decision_maker", "influencer", "recommender"]
	cov[role]
	r := {"code": concat("_", ["COVERAGE", upper(role)]), "message": concat(" ", ["a", replace(role, "_", " "), "is known"]), "points": pts[role]}
]

coverage_points := sum([r.points | some r in coverage_reasons])

reason_set contains r if some r in coverage_reasons

# decision_maker_known: a decision-maker contact, or BANT authority confirmed (when configured).
decision_maker_known if coverage.decision_maker

decision_maker_known if {
	data.qualify.config.sql.authority_counts_as_decision_maker == true
	bant.authority == "yes"
}

# --- identified project ---------------------------------------------------------------------

default project_signal := false

project_signal if {
	statuses := data.qualify.config.project.signal_statuses
	some p in input.projects
	p.status in statuses
}

project_points := data.qualify.config.project.points if {
	project_signal
} else := 0

reason_set contains {"code": "PROJECT_SIGNAL", "message": "an identified project is planned, scheduled or in progress", "points": project_points} if {
	project_signal
}

# --- total and grade ------------------------------------------------------------------------

score := (((fit_score + engagement_score) + bant_points) + coverage_points) + project_points

grade := "A" if {
	score >= data.qualify.config.grades.A
} else := "B" if {
	score >= data.qualify.config.grades.B
} else := "C" if {
	score >= data.qualify.config.grades.C
} else := "D"
