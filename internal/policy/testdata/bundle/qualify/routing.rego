# Names the team whose least-loaded user takes a lead reaching sal or sql.
package qualify.routing

import data.qualify.config as cfg

decision := {
	"team": team,
	"role": role,
	"reasons": [reason],
}

team := t if t := cfg.routing.teams[input.account.region]

else := cfg.routing.default_team

reason := {"code": "routing.region", "message": sprintf("region %s", [input.account.region])} if {
	cfg.routing.teams[input.account.region]
} else := {"code": "routing.default", "message": "no team for the lead's region"}

role := "ae" if input.to == "sql"

else := "bdr"
