# Authorises API operations and says which rows and fields a principal sees.
package qualify.authz

import data.qualify.config as cfg

default decision := {"allow": false, "reason": "operation not allowed for this role", "row_filter": "own", "redact": []}

decision := {"allow": true, "row_filter": row_filter, "redact": redact} if {
	allowed
	row_filter := cfg.authz.row_filter[input.principal.role]
}

allowed if input.operation.kind in {"query", "subscription"}

allowed if {
	input.operation.kind == "mutation"
	input.principal.role != "analyst"
}

allowed if {
	input.operation.kind == "admin"
	input.principal.role in {"revops", "admin"}
}

redact contains "contact.email" if input.principal.role == "analyst"

redact contains "contact.phone" if input.principal.role == "analyst"
