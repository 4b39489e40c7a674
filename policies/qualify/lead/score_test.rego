# Tests of score.rego: fit, misfits, engagement and its decay, temperature, BANT, coverage,
# project signal, total and grade, each at and just past its thresholds.
package qualify.lead_test

import data.qualify.lead

now := "2026-11-22T12:00:00Z"

now_ns := time.parse_rfc3339_ns(now)

# ago(days, seconds) is the RFC 3339 UTC instant that many days and seconds before now.
ago(days, seconds) := time.format(time.add_date(now_ns, 0, 0, 0 - days) - (seconds * 1000000000))

act(kind, days) := {"kind": kind, "occurred_at": ago(days, 0)}

base := {
	"now": now,
	"lead": {
		"id": "l1", "source": "web_form", "stage": "lead",
		"budget": "unknown", "authority": "unknown", "need": "unknown", "timing": "unknown",
		"created_at": ago(10, 0), "stage_entered_at": ago(10, 0),
	},
	"account": {
		"id": "a1", "domain": "acme.example", "industry": "manufacturing", "employee_count": 500,
		"annual_revenue": 50000000, "country": "DE", "region": "emea",
	},
	"contacts": [],
	"activities": [],
	"projects": [],
}

with_lead(fields) := object.union(base, {"lead": object.union(base.lead, fields)})

with_account(fields) := object.union(base, {"account": object.union(base.account, fields)})

with_activities(acts) := object.union(base, {"activities": acts})

decide(x) := d if {
	d := lead.decision with input as x
}

codes(d) := {r.code | some r in d.reasons}

points(d, code) := [r.points | some r in d.reasons; r.code == code][0]

# --- fit ----------------------------------------------------------------------------------------

test_fit_icp_match if {
	d := decide(base)
	d.fit_score == 30 # manufacturing 15 + emea 5 + 200..1999 employees 10
	points(d, "FIT_INDUSTRY") == 15
	points(d, "FIT_REGION") == 5
	points(d, "FIT_EMPLOYEES") == 10
}

test_fit_employee_range_boundaries if {
	every n, want in {0: 0, 1: 0, 9: 0, 10: 3, 49: 3, 50: 6, 199: 6, 200: 10, 1999: 10, 2000: 8, 9999: 8, 10000: 6} {
		decide(with_account({"employee_count": n})).fit_score == 20 + want
	}
}

test_fit_unknown_industry_and_region_score_zero if {
	d := decide(with_account({"industry": "bakery", "region": "mars"}))
	d.fit_score == 10
	not "FIT_INDUSTRY" in codes(d)
	not "FIT_REGION" in codes(d)
}

test_fit_null_account if {
	d := decide(object.union(base, {"account": null}))
	d.fit_score == 0
	points(d, "FIT_NO_ACCOUNT") == 0
}

test_fit_missing_account if {
	d := decide(object.remove(base, ["account"]))
	d.fit_score == 0
	"FIT_NO_ACCOUNT" in codes(d)
}

# --- hard misfits -------------------------------------------------------------------------------

test_misfit_excluded_industry if {
	d := decide(with_account({"industry": "tobacco"}))
	d.stage == "disqualified"
	d.disqualify_reason_code == "excluded_industry"
	"FIT_EXCLUDED_INDUSTRY" in codes(d)
	"STAGE_DISQUALIFIED_MISFIT" in codes(d)
}

test_misfit_excluded_country_any_case if {
	d := decide(with_account({"country": "kp"}))
	d.stage == "disqualified"
	d.disqualify_reason_code == "excluded_country"
}

test_misfit_country_before_industry if {
	d := decide(with_account({"country": "IR", "industry": "weapons"}))
	d.disqualify_reason_code == "excluded_country"
	{"FIT_EXCLUDED_COUNTRY", "FIT_EXCLUDED_INDUSTRY"} - codes(d) == set()
}

test_misfit_lead_country_without_account if {
	d := decide(object.union(with_lead({"country": "SY"}), {"account": null}))
	d.disqualify_reason_code == "excluded_country"
}

test_misfit_lead_country_when_account_country_empty if {
	d := decide(object.union(with_lead({"country": "CU"}), {"account": object.union(base.account, {"country": ""})}))
	d.disqualify_reason_code == "excluded_country"
}

test_misfit_odd_country_reads_as_none if {
	d := decide(object.union(with_lead({"country": null}), {"account": object.union(base.account, {"country": ""})}))
	d.disqualify_reason_code == ""
	not "FIT_EXCLUDED_COUNTRY" in codes(d)
	decide(object.union(with_lead({"country": null}), {"account": object.union(base.account, {"country": "", "industry": "tobacco"})})).disqualify_reason_code == "excluded_industry"
}

test_no_misfit_no_code if {
	d := decide(base)
	d.disqualify_reason_code == ""
	d.stage != "disqualified"
}

# --- engagement and decay -----------------------------------------------------------------------

test_engagement_none if {
	d := decide(base)
	d.engagement_score == 0
	d.temperature == "cold"
	not "ENGAGEMENT_FRESH" in codes(d)
}

test_engagement_fresh_at_full_days_boundary if {
	decide(with_activities([act("form_fill", 30)])).engagement_score == 8
	decide(with_activities([{"kind": "form_fill", "occurred_at": ago(30, 1)}])).engagement_score == 4
}

test_engagement_decayed_rounds_half_up if {
	d := decide(with_activities([act("newsletter_signup", 45)]))
	d.engagement_score == 3 # 50% of 5 = 2.5
	points(d, "ENGAGEMENT_DECAYED") == 3
}

test_engagement_window_boundary if {
	decide(with_activities([act("form_fill", 90)])).engagement_score == 4
	decide(with_activities([{"kind": "form_fill", "occurred_at": ago(90, 1)}])).engagement_score == 0
}

test_engagement_future_activity_counts_fresh if {
	decide(with_activities([act("demo", -2)])).engagement_score == 15
}

test_engagement_ignores_unknown_kinds_and_bad_times if {
	d := decide(with_activities([
		{"kind": "carrier_pigeon", "occurred_at": ago(1, 0)},
		{"kind": "demo", "occurred_at": ""},
		{"kind": "demo", "occurred_at": "0001-01-01T00:00:00Z"},
		{"kind": "demo", "occurred_at": null},
		{"kind": "demo"},
		{"occurred_at": ago(1, 0)},
	]))
	d.engagement_score == 0
}

test_engagement_fresh_and_decayed_sum if {
	d := decide(with_activities([act("demo", 1), act("web_visit", 2), act("meeting", 40), act("form_fill", 60)]))
	points(d, "ENGAGEMENT_FRESH") == 16
	points(d, "ENGAGEMENT_DECAYED") == 10 # (12 + 8) at 50%
	d.engagement_score == 26
}

test_engagement_cap if {
	d := decide(with_activities([act("demo", 1), act("discovery_call", 2), act("meeting", 3)]))
	d.engagement_score == 30
	points(d, "ENGAGEMENT_FRESH") == 42
	points(d, "ENGAGEMENT_CAP") == -12
}

test_engagement_exactly_at_cap_has_no_cap_reason if {
	d := decide(with_activities([act("demo", 1), act("discovery_call", 2)]))
	d.engagement_score == 30
	not "ENGAGEMENT_CAP" in codes(d)
}

test_temperature_boundaries if {
	# 20 hot, 19 warm, 8 warm, 7 cold
	decide(with_activities([act("discovery_call", 1), act("newsletter_signup", 1)])).temperature == "hot"
	decide(with_activities([act("meeting", 1), act("content_download", 1), act("web_visit", 1)])).temperature == "warm"
	decide(with_activities([act("form_fill", 1)])).temperature == "warm"
	decide(with_activities([act("content_download", 1), act("web_visit", 1)])).temperature == "cold"
}

# --- BANT ---------------------------------------------------------------------------------------

test_bant_all_unknown if {
	b := decide(base).bant
	b == {"budget": "unknown", "authority": "unknown", "need": "unknown", "timing": "unknown", "confirmed": 0, "status": "unqualified"}
}

test_bant_qualified_at_min_confirmed if {
	d := decide(with_lead({"need": "yes", "budget": "yes", "timing": "yes"}))
	d.bant.confirmed == 3
	d.bant.status == "qualified"
	points(d, "BANT_NEED") == 5
	points(d, "BANT_BUDGET") == 5
	points(d, "BANT_TIMING") == 5
}

test_bant_partial_below_min_confirmed if {
	d := decide(with_lead({"need": "yes", "budget": "yes"}))
	d.bant.status == "partial"
	d.bant.confirmed == 2
}

test_bant_partial_without_need if {
	decide(with_lead({"budget": "yes", "authority": "yes", "timing": "yes"})).bant.status == "partial"
}

test_bant_need_no_is_unqualified if {
	decide(with_lead({"need": "no", "budget": "yes", "authority": "yes", "timing": "yes"})).bant.status == "unqualified"
}

test_bant_odd_values_read_as_unknown if {
	b := decide(with_lead({"budget": "YES", "authority": null, "need": 1, "timing": ""})).bant
	b.budget == "unknown"
	b.authority == "unknown"
	b.need == "unknown"
	b.timing == "unknown"
}

test_bant_missing_fields_read_as_unknown if {
	decide(object.union(base, {"lead": {"id": "l1"}})).bant.status == "unqualified"
}

# --- coverage and project -----------------------------------------------------------------------

test_coverage_from_account_contacts if {
	d := decide(object.union(base, {"contacts": [
		{"id": "c1", "buying_role": "decision_maker", "seniority": "c_level", "on_lead": false},
		{"id": "c2", "buying_role": "influencer", "seniority": "manager", "on_lead": true},
	]}))
	d.coverage == {"decision_maker": true, "recommender": false, "influencer": true}
	points(d, "COVERAGE_DECISION_MAKER") == 6
	points(d, "COVERAGE_INFLUENCER") == 2
	not "COVERAGE_RECOMMENDER" in codes(d)
}

test_coverage_null_contacts if {
	decide(object.union(base, {"contacts": null})).coverage == {"decision_maker": false, "recommender": false, "influencer": false}
}

test_project_signal_statuses if {
	every status in ["planned", "scheduled", "in_progress"] {
		d := decide(object.union(base, {"projects": [{"id": "p1", "status": status}]}))
		d.project_signal == true
		points(d, "PROJECT_SIGNAL") == 10
	}
	decide(object.union(base, {"projects": [{"id": "p1", "status": "done"}]})).project_signal == false
	decide(object.union(base, {"projects": null})).project_signal == false
}

# --- total and grade ----------------------------------------------------------------------------

test_score_is_sum_of_reason_points if {
	d := decide(object.union(with_lead({"need": "yes", "budget": "yes"}), {
		"activities": [act("demo", 1), act("form_fill", 50)],
		"contacts": [{"id": "c1", "buying_role": "recommender", "seniority": "vp", "on_lead": true}],
		"projects": [{"id": "p1", "status": "scheduled"}],
	}))
	d.score == (((30 + 19) + 10) + 2) + 10
	d.score == sum([r.points | some r in d.reasons])
}

# base scores 30 (fit only): each cut-off exactly at and one above the score.
test_grade_boundaries if {
	decide(base).grade == "C" # exactly the shipped C cut-off of 30
	decide(base).grade == "A" with data.qualify.config.grades as {"A": 30, "B": 20, "C": 10}
	decide(base).grade == "B" with data.qualify.config.grades as {"A": 31, "B": 30, "C": 10}
	decide(base).grade == "C" with data.qualify.config.grades as {"A": 50, "B": 31, "C": 30}
	decide(base).grade == "D" with data.qualify.config.grades as {"A": 50, "B": 40, "C": 31}
}

test_grade_shipped_cutoffs if {
	decide(with_account({"region": "mars"})).grade == "D" # 25, below C
	a := object.union(with_lead({"need": "yes", "budget": "yes", "timing": "yes", "authority": "yes"}), {
		"activities": [act("demo", 1), act("discovery_call", 1)],
		"contacts": [{"id": "c1", "buying_role": "decision_maker", "seniority": "vp", "on_lead": true}],
	})
	decide(a).score == 86
	decide(a).grade == "A"
}
