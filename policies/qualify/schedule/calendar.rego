# Business calendar of qualify.schedule: business days, holidays and the time zone of
# data.qualify.config.schedule. A deadline of N business days after a moment is midnight (local
# time) ending the Nth business day after the local day of that moment: entered on Monday at
# 10:00 with 2 business days, the deadline is Thursday 00:00 local. Days are counted in the
# local calendar, so daylight saving time never shifts a deadline to another day.
package qualify.schedule

day_ns := ((24 * 60) * 60) * 1000000000

# business_day(ns): the local day holding ns is a business day and no holiday.
business_day(ns) if {
	time.weekday([ns, cal.time_zone]) in cal.business_days
	not local_date(ns) in cal.holidays
}

# local_date(ns) is the local calendar date holding ns, "YYYY-MM-DD".
local_date(ns) := sprintf("%04d-%02d-%02d", time.date([ns, cal.time_zone]))

# local_noon(ns) is noon of the local day holding ns, as UTC nanoseconds: the anchor from which
# whole days are added (noon never falls into a daylight saving gap).
local_noon(ns) := local_time(local_date(ns), "12:00:00")

# local_time(date, clock) is a local wall-clock time as UTC nanoseconds: the wall time read as
# UTC, less the zone's offset at that moment.
local_time(date, clock) := wall - offset if {
	wall := time.parse_rfc3339_ns(concat("", [date, "T", clock, "Z"]))
	[h, m, s] := time.clock([wall, cal.time_zone])
	local_wall := time.parse_rfc3339_ns(sprintf("%sT%02d:%02d:%02dZ", [local_date(wall), h, m, s]))
	offset := local_wall - wall
}

# business_deadline(ns, n): midnight (local) after the nth business day following the day of ns.
# The search is bounded and short (it runs in every qualification): any 7 days in a row hold each
# business weekday once, so 7 * ceil((n + holidays) / business weekdays) days hold n business days
# however many holidays fall there; a week more covers the partial first week.
business_deadline(ns, n) := local_time(local_date(days[n - 1] + day_ns), "00:00:00") if {
	start := local_noon(ns)
	weeks := ceil((n + count(cal.holidays)) / count(cal.business_days)) + 1
	days := [d |
		some k in numbers.range(1, weeks * 7)
		d := start + (k * day_ns)
		business_day(d)
	]
	count(days) >= n
}
