package qualify.lead_test

import data.qualify.lead

hot := {
	"now": "2025-03-03T09:00:00Z",
	"lead": {"id": "l1", "source": "web_form", "stage": "lead", "budget": "yes", "authority": "unknown", "need": "yes", "timing": "unknown", "created_at": "2025-01-01T00:00:00Z", "stage_entered_at": "2025-01-01T00:00:00Z"},
	"account": {"id": "a1", "domain": "acme.de", "industry": "manufacturing", "employee_count": 420, "annual_revenue": 52000000, "country": "DE", "region": "emea"},
	"contacts": [{"id": "c1", "buying_role": "decision_maker", "seniority": "c_level", "on_lead": true}],
	"activities": [
		{"kind": "demo", "occurred_at": "2025-02-25T15:30:00Z"},
		{"kind": "web_visit", "occurred_at": "2025-03-01T11:00:00Z"},
		{"kind": "web_visit", "occurred_at": "2024-06-01T11:00:00Z"},
	],
	"projects": [{"id": "p1", "status": "planned"}],
}

test_hot_lead_becomes_mql if {
	d := lead.decision with input as hot
	d.fit_score == 58
	d.engagement_score == 22
	d.grade == "A"
	d.temperature == "hot"
	d.stage == "mql"
	d.bant.authority == "yes"
	d.bant.status == "qualified"
}

test_old_activity_does_not_count if {
	d := lead.decision with input as hot
	some r in d.reasons
	r.code == "engagement.web_visit"
	r.points == 2
}

test_bare_lead_stays if {
	d := lead.decision with input as {
		"now": "2025-03-03T09:00:00Z",
		"lead": {"id": "l2", "source": "newsletter", "stage": "lead", "budget": "unknown", "authority": "unknown", "need": "unknown", "timing": "unknown"},
		"account": null, "contacts": [], "activities": [], "projects": [],
	}
	d.score == 0
	d.grade == "D"
	d.temperature == "cold"
	d.stage == "lead"
	d.bant.status == "unqualified"
	d.coverage == {"decision_maker": false, "recommender": false, "influencer": false}
}
