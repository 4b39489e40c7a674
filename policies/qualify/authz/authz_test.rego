# Tests of authz.rego: every role against every operation kind, plus the edges.
package qualify.authz_test

import data.qualify.authz

req(role, kind, name) := {
	"principal": {"id": "u1", "role": role, "team": "emea-bdr"},
	"operation": {"kind": kind, "name": name},
}

decide(x) := d if {
	d := authz.decision with input as x
}

allow(role, kind, name) if decide(req(role, kind, name)).allow == true

deny(role, kind, name) if {
	d := decide(req(role, kind, name))
	d.allow == false
	d.reason != ""
	d.row_filter == "none"
	d.redact == []
}

pii := ["contact.email", "contact.phone", "lead.email", "lead.phone"]

# --- revops and admin: everything --------------------------------------------------------------

test_revops_and_admin_may_do_everything if {
	every role in ["revops", "admin"] {
		every op in [
			["query", "leads"], ["query", "funnel"], ["subscription", "leadStageChanged"],
			["mutation", "transitionLead"], ["mutation", "deleteAccount"],
			["admin", "publishPolicy"], ["admin", "rollbackPolicy"], ["admin", "createUser"],
			["admin", "updateUser"], ["admin", "createApiKey"], ["admin", "revokeApiKey"],
			["admin", "requalifyLeads"], ["admin", "simulatePolicy"], ["admin", "jobs"],
			["admin", "retryJob"], ["admin", "cancelJob"], ["admin", "startSimulation"], ["admin", "simulation"],
		] {
			d := decide(req(role, op[0], op[1]))
			d == {"allow": true, "reason": "", "row_filter": "all", "redact": []}
		}
	}
}

# --- analyst: read everything with PII redacted, change nothing --------------------------------

test_analyst_reads_all_redacted if {
	every kind in ["query", "subscription"] {
		d := decide(req("analyst", kind, "leads"))
		d.allow == true
		d.row_filter == "all"
		d.redact == pii
	}
}

test_analyst_changes_nothing if {
	deny("analyst", "mutation", "createLead")
	deny("analyst", "mutation", "transitionLead")
	deny("analyst", "admin", "simulatePolicy")
}

# --- bdr and ae: own or team rows, lead work, no admin ---------------------------------------

test_bdr_and_ae if {
	every role in ["bdr", "ae"] {
		d := decide(req(role, "query", "leads"))
		d == {"allow": true, "reason": "", "row_filter": "own_or_team", "redact": []}
		allow(role, "subscription", "leadStageChanged")
		every name in [
			"createLead", "updateLead", "transitionLead", "convertLead", "createContact",
			"updateContact", "createAccount", "updateAccount", "createActivity", "createProject",
			"updateProject",
		] {
			allow(role, "mutation", name)
		}
		deny(role, "mutation", "deleteAccount")
		deny(role, "admin", "publishPolicy")
		deny(role, "admin", "createUser")
		every name in ["jobs", "retryJob", "cancelJob", "startSimulation", "simulation"] {
			deny(role, "query", name) # judged as admin operations whatever the declared kind
		}
	}
}

# --- marketing: reads leads, accounts and contacts; creates; no admin -------------------------

test_marketing_reads if {
	every name in ["leads", "lead", "accounts", "account", "contacts", "contact", "node"] {
		d := decide(req("marketing", "query", name))
		d == {"allow": true, "reason": "", "row_filter": "all", "redact": []}
	}
	deny("marketing", "query", "funnel")
	allow("marketing", "subscription", "leadStageChanged")
}

test_marketing_writes if {
	every name in ["createLead", "createActivity", "createContact", "createAccount", "transitionLead"] {
		allow("marketing", "mutation", name)
	}
	deny("marketing", "mutation", "updateLead")
	deny("marketing", "mutation", "convertLead")
	deny("marketing", "admin", "publishPolicy")
}

# --- edges --------------------------------------------------------------------------------------

test_unauthenticated if {
	every kind in ["query", "mutation", "subscription", "admin"] {
		deny("", kind, "leads")
		contains(decide(req("", kind, "leads")).reason, "unauthenticated")
	}
	decide({}).allow == false
	decide({"principal": null, "operation": null}).allow == false
}

test_unknown_role if {
	deny("system", "query", "leads")
	contains(decide(req("intern", "query", "leads")).reason, "unknown role")
}

test_unknown_kind if {
	deny("revops", "teleport", "leads")
	contains(decide(req("revops", "teleport", "leads")).reason, "unknown operation kind")
}

test_admin_operation_sent_as_mutation_is_admin if {
	deny("bdr", "mutation", "publishPolicy")
	deny("ae", "query", "validatePolicy")
	allow("revops", "mutation", "publishPolicy")
}

test_reason_names_role_and_operation if {
	decide(req("analyst", "mutation", "createLead")).reason == "role analyst may not run mutation operation \"createLead\""
}

test_api_keys_are_admin_operations if {
	every role in ["marketing", "bdr", "ae", "analyst"] {
		every name in ["apiKeys", "createApiKey", "revokeApiKey"] {
			deny(role, "query", name)
			deny(role, "mutation", name)
		}
	}
	every role in ["revops", "admin"] {
		allow(role, "query", "apiKeys")
		allow(role, "mutation", "createApiKey")
	}
}

test_webhooks_and_imports_are_admin_operations if {
	every name in [
		"webhookEndpoints", "webhookDeliveries", "createWebhookEndpoint", "updateWebhookEndpoint",
		"deleteWebhookEndpoint", "rotateWebhookSecret", "redeliverWebhook",
		"importLeads", "importMappings", "importRun", "saveImportMapping",
	] {
		every role in ["marketing", "bdr", "ae", "analyst"] {
			deny(role, "query", name)
			deny(role, "mutation", name)
		}
		every role in ["revops", "admin"] {
			allow(role, "mutation", name)
		}
	}
}

# --- SLA: the report is a query; a manager of any selling role acknowledges escalations ---------

test_sla_report_and_acknowledgement if {
	every role in ["bdr", "ae", "analyst", "revops", "admin"] {
		allow(role, "query", "slaReport")
	}
	deny("marketing", "query", "slaReport")
	every role in ["bdr", "ae", "revops", "admin"] {
		allow(role, "mutation", "acknowledgeEscalation")
	}
	deny("analyst", "mutation", "acknowledgeEscalation")
	deny("marketing", "mutation", "acknowledgeEscalation")
}

# --- exports of leads and transitions (GET /export/leads.csv, …): queries ----------------------

test_exports_are_queries_with_the_role_row_filter_and_redactions if {
	every name in ["exportLeads", "exportTransitions"] {
		decide(req("bdr", "query", name)) == {"allow": true, "reason": "", "row_filter": "own_or_team", "redact": []}
		decide(req("analyst", "query", name)) == {"allow": true, "reason": "", "row_filter": "all", "redact": pii}
		allow("revops", "query", name)
		deny("marketing", "query", name)
	}
}
