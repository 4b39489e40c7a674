-- Create index "lead_owner_id_id_account_id" to table: "leads"
CREATE INDEX "lead_owner_id_id_account_id" ON "leads" ("owner_id", "id", "account_id");
