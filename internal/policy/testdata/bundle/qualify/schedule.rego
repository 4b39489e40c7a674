# Time rules of the fixture: a lead is looked at again a week after its qualification.
package qualify.schedule

week := ((7 * 24) * 3600) * 1000000000

qualified := time.parse_rfc3339_ns(input.qualified_at) if is_string(input.qualified_at)

decision := {
	"rescore": time.parse_rfc3339_ns(input.now) >= (qualified + week),
	"escalations": [],
	"next_review_at": time.format(qualified + week),
	"reasons": [],
} if {
	qualified
} else := {"rescore": true, "escalations": [], "next_review_at": "", "reasons": []}
