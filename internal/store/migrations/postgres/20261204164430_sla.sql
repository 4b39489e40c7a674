-- Modify "stage_transitions" table
ALTER TABLE "stage_transitions" ADD COLUMN "owner_id" bigint NULL;
-- Modify "users" table
ALTER TABLE "users" ADD COLUMN "manager_id" bigint NULL, ADD CONSTRAINT "users_users_reports" FOREIGN KEY ("manager_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- Modify "lead_escalations" table
ALTER TABLE "lead_escalations" ADD COLUMN "flag_note" character varying NOT NULL DEFAULT '', ADD COLUMN "acknowledged_at" timestamptz NULL, ADD COLUMN "flagged_user_id" bigint NULL, ADD COLUMN "acknowledged_by_id" bigint NULL, ADD CONSTRAINT "lead_escalations_leads_lead" FOREIGN KEY ("lead_id") REFERENCES "leads" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "lead_escalations_users_acknowledged_by" FOREIGN KEY ("acknowledged_by_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "lead_escalations_users_flagged_user" FOREIGN KEY ("flagged_user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "lead_escalations_users_owner" FOREIGN KEY ("owner_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- Create index "leadescalation_flagged_user_id_acknowledged_at" to table: "lead_escalations"
CREATE INDEX "leadescalation_flagged_user_id_acknowledged_at" ON "lead_escalations" ("flagged_user_id", "acknowledged_at");
