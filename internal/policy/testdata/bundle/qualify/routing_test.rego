package qualify.routing_test

import data.qualify.routing

test_emea_sql_goes_to_an_ae if {
	d := routing.decision with input as {"lead": {}, "account": {"region": "emea"}, "to": "sql"}
	d.team == "emea-sales"
	d.role == "ae"
}

test_no_account_goes_to_the_default_team if {
	d := routing.decision with input as {"lead": {}, "account": null, "to": "sal"}
	d.team == "inside-sales"
}
