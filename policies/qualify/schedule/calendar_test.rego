# Tests of calendar.rego: business days, holidays, the time zone and daylight saving time.
package qualify.schedule_test

import data.qualify.schedule

ns(s) := time.parse_rfc3339_ns(s)

deadline(at, n) := time.format(schedule.business_deadline(ns(at), n))

test_two_business_days_from_monday if {
	# Monday 2026-11-30 10:00 Berlin (09:00Z): Tuesday, Wednesday; due Thursday 00:00 Berlin.
	deadline("2026-11-30T09:00:00Z", 2) == "2026-12-02T23:00:00Z"
}

test_weekend_is_skipped if {
	# Thursday 2026-12-03: Friday, Monday; due Tuesday 00:00 Berlin.
	deadline("2026-12-03T15:00:00Z", 2) == "2026-12-07T23:00:00Z"

	# Entered on a Saturday: Monday and Tuesday count.
	deadline("2026-12-05T10:00:00Z", 2) == "2026-12-08T23:00:00Z"
}

test_holidays_are_skipped if {
	# Tuesday 2026-12-22: Wednesday 23rd, then 24, 25, 26 (Sat), 27 (Sun) are off; Monday 28th.
	deadline("2026-12-22T10:00:00Z", 2) == "2026-12-28T23:00:00Z"
}

test_local_day_not_utc_day if {
	# 23:30Z on Monday is already Tuesday in Berlin: Wednesday and Thursday count.
	deadline("2026-11-30T23:30:00Z", 2) == "2026-12-03T23:00:00Z"
}

test_daylight_saving_time if {
	# Friday 2026-03-27, clocks go forward on Sunday 29th: due Wednesday 00:00 CEST (22:00Z).
	deadline("2026-03-27T10:00:00Z", 2) == "2026-03-31T22:00:00Z"
}

test_other_zone_and_week if {
	# Thursday in UTC with a Sunday-to-Thursday week: Sunday counts, due Monday 00:00Z.
	deadline("2026-12-03T15:00:00Z", 1) == "2026-12-07T00:00:00Z" with data.qualify.config.schedule.time_zone as "UTC"
		with data.qualify.config.schedule.business_days as ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday"]
		with data.qualify.config.schedule.holidays as []
}
