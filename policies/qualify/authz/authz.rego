# Package qualify.authz says whether a principal may run an API operation and, for reads, which
# rows and fields it sees. Query data.qualify.authz.decision with a contract.AuthzInput; the
# result is a contract.AuthzDecision. The role -> operation tables live in
# data.qualify.config.authz: per role a row filter, the operations allowed per kind ("*" for
# all) and the fields to redact.
#
# Asked on every API request, so the allowing path is one short body over direct references;
# only a refusal pays for safe defaults and a message.
package qualify.authz

decision := {"allow": true, "reason": "", "row_filter": grants.row_filter, "redact": sort(grants.redact)} if {
	grants := data.qualify.config.authz.roles[input.principal.role]
	ops := grants[kind]
	true in {"*" in ops, input.operation.name in ops} # any operation, or this one
} else := {"allow": false, "reason": refusal, "row_filter": "none", "redact": []}

# kind is "admin" for a named admin operation whatever the caller declared, so an admin
# operation sent as a mutation is still judged as one.
kind := "admin" if {
	input.operation.name in data.qualify.config.authz.admin_operations
} else := input.operation.kind

refusal := "unauthenticated: no principal role" if {
	object.get(input, ["principal", "role"], "") == ""
} else := sprintf("unknown role %q", [input.principal.role]) if {
	not data.qualify.config.authz.roles[input.principal.role]
} else := sprintf("unknown operation kind %q", [object.get(input, ["operation", "kind"], "")]) if {
	not kind in data.qualify.config.authz.kinds
} else := sprintf("role %s may not run %s operation %q", [input.principal.role, kind, object.get(input, ["operation", "name"], "")])
