# Package qualify.authz says whether a principal may run an API operation and, for reads, which
# rows and fields it sees. Query data.qualify.authz.decision with a contract.AuthzInput; the
# result is a contract.AuthzDecision. The role -> operation tables live in
# data.qualify.config.authz: per role a row filter, the operations allowed per kind ("*" for
# all) and the fields to redact.
package qualify.authz

cfg := data.qualify.config.authz

role := object.get(input, ["principal", "role"], "")

name := object.get(input, ["operation", "name"], "")

# kind is "admin" for a named admin operation whatever the caller declared, so an admin
# operation sent as a mutation is still judged as one.
kind := "admin" if {
	name in cfg.admin_operations
} else := object.get(input, ["operation", "kind"], "")

grants := cfg.roles[role]

allowed if {
	kind in cfg.kinds
	some op in grants[kind]
	op in {"*", name}
}

decision := {
	"allow": true,
	"reason": "",
	"row_filter": grants.row_filter,
	"redact": sort(grants.redact),
} if {
	allowed
} else := {
	"allow": false,
	"reason": refusal,
	"row_filter": "none",
	"redact": [],
}

refusal := "unauthenticated: no principal role" if {
	role == ""
} else := sprintf("unknown role %q", [role]) if {
	not grants
} else := sprintf("unknown operation kind %q", [kind]) if {
	not kind in cfg.kinds
} else := sprintf("role %s may not run %s operation %q", [role, kind, name])
