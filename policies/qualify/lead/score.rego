# Scoring half of qualify.lead: fit against the ideal customer profile, engagement with a step
# decay by age, BANT, buying-role coverage and the project signal. Every point comes with a
# reason in reason_set; the knobs live in data.qualify.config.
#
# Written for speed, since the interpreter pays per expression evaluated: each loop sits in a
# small rule body, data subtrees are bound to locals before a loop, and no time is parsed nor any
# number divided per activity: occurred_at is compared, as an RFC 3339 UTC string, with two
# cut-offs computed once from input.now.
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

# country is the account's, else the lead's own; compared upper-cased.
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

reason_set contains {"code": "FIT_EXCLUDED_INDUSTRY", "message": "industry is excluded", "points": 0} if {
	excluded_industry
}

# --- engagement: full points for fresh activity, decayed_percent inside the window ----------

now_ns := t if {
	t := time.parse_rfc3339_ns(input.now)
} else := time.now_ns()

# activity: the kinds of the activities inside the window (triggers and nurture use them), and
# the points of the fresh and of the in-window activities. Times compare as RFC 3339 UTC
# strings against cut-offs computed once: occurred_at >= cut-off means "at most N days old".
activity := {"kinds": kinds, "fresh": fresh, "window": window, "window_cutoff": cw} if {
	e := data.qualify.config.engagement
	now := now_ns
	cf := time.format(time.add_date(now, 0, 0, 0 - e.full_days))
	cw := time.format(time.add_date(now, 0, 0, 0 - e.window_days))
	pts := e.points
	kinds := [a.kind | some a in input.activities; a.occurred_at >= cw]
	fresh := [p | some a in input.activities; a.occurred_at >= cf; p := pts[a.kind]]
	window := [p | some k in kinds; p := pts[k]]
}

# engagement: fresh points in full, older in-window points at decayed_percent (rounded half
# up), the total capped.
engagement := {"fresh": fresh, "decayed": decayed, "raw": raw, "score": min([raw, e.cap])} if {
	e := data.qualify.config.engagement
	act := activity
	fresh := sum(act.fresh)
	x := (max([0, sum(act.window) - fresh]) * e.decayed_percent) + 50
	decayed := (x - (x % 100)) / 100
	raw := fresh + decayed
}

engagement_score := engagement.score

reason_set contains {
	"code": "ENGAGEMENT_FRESH",
	"message": sprintf("%d activities in the last %d days", [count(activity.fresh), data.qualify.config.engagement.full_days]),
	"points": engagement.fresh,
} if {
	engagement.fresh != 0
}

reason_set contains {
	"code": "ENGAGEMENT_DECAYED",
	"message": sprintf("%d older activities inside %d days, at %d%%", [count(activity.window) - count(activity.fresh), data.qualify.config.engagement.window_days, data.qualify.config.engagement.decayed_percent]),
	"points": engagement.decayed,
} if {
	engagement.decayed != 0
}

reason_set contains {"code": "ENGAGEMENT_CAP", "message": "engagement is capped", "points": engagement.score - engagement.raw} if {
	engagement.raw > engagement.score
}

temperature := "hot" if {
	engagement_score >= data.qualify.config.temperature.hot
} else := "warm" if {
	engagement_score >= data.qualify.config.temperature.warm
} else := "cold"

# idle: no activity inside the window, and the lead itself is older than the window.
idle if {
	act := activity
	count(act.kinds) == 0
	created := lead.created_at
	is_string(created)
	created != ""
	created < act.window_cutoff
}

# --- BANT -------------------------------------------------------------------------------------

bant := {"budget": b, "authority": a, "need": n, "timing": t, "confirmed": yes, "status": bant_status(n, yes)} if {
	l := lead
	b := object.get({"yes": "yes", "no": "no"}, l.budget, "unknown")
	a := object.get({"yes": "yes", "no": "no"}, l.authority, "unknown")
	n := object.get({"yes": "yes", "no": "no"}, l.need, "unknown")
	t := object.get({"yes": "yes", "no": "no"}, l.timing, "unknown")
	yes := count([1 | some v in [b, a, n, t]; v == "yes"])
}

bant_status(need, yes) := "unqualified" if {
	need == "no"
} else := "unqualified" if {
	yes == 0
} else := "qualified" if {
	need == "yes"
	yes >= data.qualify.config.bant.qualified_min_confirmed
} else := "partial"

bant_points := sum([pts[k] | pts := data.qualify.config.bant.points; some k, v in bant; v == "yes"])

reason_set contains {"code": "BANT_BUDGET", "message": "budget confirmed", "points": data.qualify.config.bant.points.budget} if {
	bant.budget == "yes"
}

reason_set contains {"code": "BANT_AUTHORITY", "message": "authority confirmed", "points": data.qualify.config.bant.points.authority} if {
	bant.authority == "yes"
}

reason_set contains {"code": "BANT_NEED", "message": "need confirmed", "points": data.qualify.config.bant.points.need} if {
	bant.need == "yes"
}

reason_set contains {"code": "BANT_TIMING", "message": "timing confirmed", "points": data.qualify.config.bant.points.timing} if {
	bant.timing == "yes"
}

budget_or_timing if bant.budget == "yes"

budget_or_timing if bant.timing == "yes"

# --- buying-role coverage among the lead's and its account's contacts -------------------------

coverage := {"decision_maker": dm, "recommender": rec, "influencer": inf} if {
	roles := {c.buying_role | some c in input.contacts}
	dm := "decision_maker" in roles
	rec := "recommender" in roles
	inf := "influencer" in roles
}

coverage_points := sum([pts[role] | pts := data.qualify.config.coverage.points; some role, known in coverage; known])

reason_set contains {"code": "COVERAGE_DECISION_MAKER", "message": "a decision maker is known", "points": data.qualify.config.coverage.points.decision_maker} if {
	coverage.decision_maker
}

reason_set contains {"code": "COVERAGE_RECOMMENDER", "message": "a recommender is known", "points": data.qualify.config.coverage.points.recommender} if {
	coverage.recommender
}

reason_set contains {"code": "COVERAGE_INFLUENCER", "message": "an influencer is known", "points": data.qualify.config.coverage.points.influencer} if {
	coverage.influencer
}

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
