# Package qualify.routing names the team (and role) that takes a lead reaching sal or sql.
# Query data.qualify.routing.decision with a contract.RoutingInput; the result is a
# contract.RoutingDecision. The first rule of data.qualify.config.routing.rules that matches the
# target stage, the account's region and its size segment wins; else the stage's default team.
# `fallback` lists the teams to try, in order, when the chosen team has no active member of the
# role: after a rule's team, the stage's default team (and nothing after the default team).
# A stage without routing (anything but sal and sql as shipped) gets team "" and role "": the
# owner stays as it is.
package qualify.routing

cfg := data.qualify.config.routing

to := object.get(input, "to", "")

account := input.account if {
	is_object(input.account)
} else := {}

region := r if {
	r := account.region
	is_string(r)
} else := ""

employees := n if {
	n := account.employee_count
	is_number(n)
} else := 0

# segment: the first segment whose employee range holds the count; "unknown" without one.
segment := ss[0] if {
	n := employees
	ss := [s.key | some s in cfg.segments; s.min_employees <= n; n <= object.get(s, "max_employees", n)]
	count(ss) > 0
} else := "unknown"

# matches lists the indexes of the rules for this stage, region and segment, in table order.
matches := [i |
	some i, r in cfg.rules
	r.stage == to
	object.get(r, "region", region) == region
	object.get(r, "segment", segment) == segment
]

decision := {
	"team": cfg.rules[i].team,
	"role": route.role,
	"fallback": [t | some t in [route.default_team]; t != cfg.rules[i].team],
	"reasons": [{
		"code": "ROUTE_RULE",
		"message": sprintf("rule %d: %s, region %q, segment %s", [i + 1, to, region, segment]),
		"points": 0,
	}],
} if {
	route := cfg.stages[to]
	i := matches[0]
} else := {
	"team": route.default_team,
	"role": route.role,
	"fallback": [],
	"reasons": [{
		"code": "ROUTE_DEFAULT",
		"message": sprintf("no rule for %s, region %q, segment %s: default team", [to, region, segment]),
		"points": 0,
	}],
} if {
	route := cfg.stages[to]
} else := {
	"team": "",
	"role": "",
	"fallback": [],
	"reasons": [{
		"code": "ROUTE_NOT_ROUTED",
		"message": sprintf("stage %q is not routed: the owner stays", [to]),
		"points": 0,
	}],
}
