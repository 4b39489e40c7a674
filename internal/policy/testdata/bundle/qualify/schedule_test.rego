package qualify.schedule_test

import data.qualify.schedule

test_week_after_qualification if {
	d := schedule.decision with input as {"now": "2025-03-10T09:00:00Z", "qualified_at": "2025-03-01T09:00:00Z"}
	d.rescore
	d.next_review_at == "2025-03-08T09:00:00Z"
}

test_never_qualified if {
	d := schedule.decision with input as {"now": "2025-03-10T09:00:00Z"}
	d.rescore
	d.next_review_at == ""
}
