# Scoring half of qualify.lead: fit against the ideal customer profile, engagement with a step
# decay by age, BANT, buying-role coverage and the project signal. Every point comes with a
# reason; the knobs live in data.qualify.config, read through the rule `config` (lead.rego).
#
# Written for speed, since the interpreter pays for every rule, expression and loop step it
# evaluates, and the lead decision runs for every new activity and for every lead of a
# simulation. So each part of the score (fit, misfit, engagement, bant, coverage, project) is ONE
# rule that reads its input once and returns an object with its values AND its reasons; the
# reasons of a part are listed in one place, each with its points, and kept when they apply. The
# stage recommendation (lead.rego) only looks values up in these objects. Each loop over
# activities, contacts or ranges runs once per cut-off, and no time is parsed nor any number
# divided per activity: occurred_at is compared, as an RFC 3339 UTC string, with two cut-offs
# computed once from input.now. Knobs are read as config.<part>.<knob>, not as
# data.qualify.config.<part>.<knob>: every lookup of a rule re-reads the base-data refs of its
# body (to index it), and a ref to the rule `config` costs nothing there.
package qualify.lead

# lead_in and account_in are the input's lead and account, or {} when missing or not objects:
# fields are read with object.get and a default, so that a missing field or a null account never
# leaves the decision undefined.
lead_in := input.lead if {
	is_object(input.lead)
} else := {}

account_in := input.account if {
	is_object(input.account)
} else := {}

# --- fit: firmographics against the ideal customer profile ---------------------------------

# fit: points for industry, region and size (the points of the last employee range, ascending
# by min, whose min is at most the employee count), their sum, and the FIT_* reasons of those
# that score; FIT_NO_ACCOUNT when there is no account (its fields then read as "" and 0).
fit := {"score": (industry + region) + employees, "reasons": array.concat(scoring, no_account)} if {
	f := config.fit
	a := account_in
	industry := object.get(f.industries, object.get(a, "industry", ""), 0)
	region := object.get(f.regions, object.get(a, "region", ""), 0)
	n := object.get(a, "employee_count", 0)
	ps := [r.points | some r in f.employee_ranges; r.min <= n]
	employees := array.concat([0], ps)[count(ps)]
	scoring := [r |
		some r in [
			{"code": "FIT_INDUSTRY", "message": "industry is in the ideal customer profile", "points": industry},
			{"code": "FIT_REGION", "message": "region is in the ideal customer profile", "points": region},
			{"code": "FIT_EMPLOYEES", "message": "company size is in the ideal customer profile", "points": employees},
		]
		r.points != 0
	]
	no_account := [{"code": "FIT_NO_ACCOUNT", "message": "no account: fit is 0 until the company is known", "points": 0} |
		not is_object(object.get(input, "account", null))
	]
}

# --- hard misfits: excluded countries and industries disqualify ----------------------------

# country is the account's, else the lead's own; compared upper-cased.
country := upper(c) if {
	c := object.get(account_in, "country", "")
	c != ""
} else := upper(c) if {
	c := object.get(lead_in, "country", "")
} else := ""

# misfit: whether the country and the industry are excluded, and a FIT_EXCLUDED_* reason (0
# points) for each that is.
misfit := {"country_excluded": country_excluded, "industry_excluded": industry_excluded, "reasons": reasons} if {
	f := config.fit
	c := country
	country_excluded := c in f.excluded_countries
	industry_excluded := object.get(account_in, "industry", "") in f.excluded_industries
	reasons := [r |
		some [excluded, r] in [
			[country_excluded, {"code": "FIT_EXCLUDED_COUNTRY", "message": concat(" ", ["country", c, "is excluded"]), "points": 0}],
			[industry_excluded, {"code": "FIT_EXCLUDED_INDUSTRY", "message": "industry is excluded", "points": 0}],
		]
		excluded
	]
}

# misfit_code is the disqualify reason code of the first hard misfit (country before industry);
# undefined when there is none.
misfit_code := "excluded_country" if {
	misfit.country_excluded
} else := "excluded_industry" if {
	misfit.industry_excluded
}

# --- engagement: full points for fresh activity, decayed_percent inside the window ----------

now_ns := t if {
	t := time.parse_rfc3339_ns(input.now)
} else := time.now_ns()

# engagement: the points of the fresh activities (at most full_days old) in full, those of the
# older ones inside the window at decayed_percent (summed, then scaled and rounded half up), the
# total capped, and the ENGAGEMENT_* reasons of those that score (the excess over the cap shows
# as a negative ENGAGEMENT_CAP). Times compare as RFC 3339 UTC strings against cut-offs computed
# once: occurred_at >= cut-off means "at most N days old". Unknown kinds score nothing and are
# not counted.
engagement := {"score": score, "window_cutoff": cw, "reasons": reasons} if {
	e := config.engagement
	now := now_ns
	cf := time.format(time.add_date(now, 0, 0, 0 - e.full_days))
	cw := time.format(time.add_date(now, 0, 0, 0 - e.window_days))
	pts := e.points
	fresh_points := [p | some a in input.activities; a.occurred_at >= cf; p := pts[a.kind]]
	window_points := [p | some a in input.activities; a.occurred_at >= cw; p := pts[a.kind]]
	fresh := sum(fresh_points)
	x := (max([0, sum(window_points) - fresh]) * e.decayed_percent) + 50
	decayed := (x - (x % 100)) / 100
	raw := fresh + decayed
	score := min([raw, e.cap])
	reasons := [r |
		some r in [
			{"code": "ENGAGEMENT_FRESH", "points": fresh, "message": sprintf("%d activities in the last %d days", [count(fresh_points), e.full_days])},
			{"code": "ENGAGEMENT_DECAYED", "points": decayed, "message": sprintf("%d older activities inside %d days, at %d%%", [count(window_points) - count(fresh_points), e.window_days, e.decayed_percent])},
			{"code": "ENGAGEMENT_CAP", "points": score - raw, "message": "engagement is capped"},
		]
		r.points != 0
	]
}

temperature(engagement_score) := "hot" if {
	engagement_score >= config.temperature.hot
} else := "warm" if {
	engagement_score >= config.temperature.warm
} else := "cold"

# window_kinds: the kinds of the activities inside the window (MQL/SAL triggers and nurture).
window_kinds := {a.kind | some a in input.activities; a.occurred_at >= cw} if {
	cw := engagement.window_cutoff
}

# idle: no activity inside the window, and the lead itself is older than the window.
idle if {
	count(window_kinds) == 0
	created := object.get(lead_in, "created_at", "")
	is_string(created)
	created != ""
	created < engagement.window_cutoff
}

# --- BANT -------------------------------------------------------------------------------------

# bant: each answer read as "yes", "no" or "unknown" (anything else), how many are "yes", and
# the status: "unqualified" when need = no or nothing is confirmed, "qualified" when need = yes
# and at least qualified_min_confirmed are, else "partial".
bant := {"budget": b, "authority": a, "need": n, "timing": t, "confirmed": yes, "status": bant_status(n, yes)} if {
	l := lead_in
	answer := {"yes": "yes", "no": "no"}
	b := object.get(answer, object.get(l, "budget", ""), "unknown")
	a := object.get(answer, object.get(l, "authority", ""), "unknown")
	n := object.get(answer, object.get(l, "need", ""), "unknown")
	t := object.get(answer, object.get(l, "timing", ""), "unknown")
	yes := count([1 | some v in [b, a, n, t]; v == "yes"])
}

bant_status(need, yes) := "unqualified" if {
	need == "no"
} else := "unqualified" if {
	yes == 0
} else := "qualified" if {
	need == "yes"
	yes >= config.bant.qualified_min_confirmed
} else := "partial"

# bant_reasons: a BANT_* reason with bant.points for each answer that is "yes".
bant_reasons := [{"code": code, "message": message, "points": pts[k]} |
	pts := config.bant.points
	b := bant
	some [k, code, message] in [
		["budget", "BANT_BUDGET", "budget confirmed"],
		["authority", "BANT_AUTHORITY", "authority confirmed"],
		["need", "BANT_NEED", "need confirmed"],
		["timing", "BANT_TIMING", "timing confirmed"],
	]
	b[k] == "yes"
]

# --- buying-role coverage among the lead's and its account's contacts -------------------------

coverage := {"decision_maker": "decision_maker" in roles, "recommender": "recommender" in roles, "influencer": "influencer" in roles} if {
	roles := {c.buying_role | some c in input.contacts}
}

# coverage_reasons: a COVERAGE_* reason with coverage.points for each buying role known.
coverage_reasons := [{"code": code, "message": message, "points": pts[k]} |
	pts := config.coverage.points
	c := coverage
	some [k, code, message] in [
		["decision_maker", "COVERAGE_DECISION_MAKER", "a decision maker is known"],
		["recommender", "COVERAGE_RECOMMENDER", "a recommender is known"],
		["influencer", "COVERAGE_INFLUENCER", "an influencer is known"],
	]
	c[k]
]

# --- identified project ---------------------------------------------------------------------

default project_signal := false

project_signal if {
	statuses := config.project.signal_statuses
	some p in input.projects
	p.status in statuses
}

project_reasons := [{"code": "PROJECT_SIGNAL", "message": "an identified project is planned, scheduled or in progress", "points": object.get(config.project, "points", 0)}] if {
	project_signal
} else := []

# --- total and grade ------------------------------------------------------------------------

grade(score) := "A" if {
	score >= config.grades.A
} else := "B" if {
	score >= config.grades.B
} else := "C" if {
	score >= config.grades.C
} else := "D"
