-- Drop index "leads_idempotency_key_key" from table: "leads"
DROP INDEX "leads_idempotency_key_key";
-- Modify "leads" table
ALTER TABLE "leads" ADD COLUMN "idempotency_scope" character varying NULL, ADD COLUMN "idempotency_hash" character varying NULL;
-- Create index "lead_idempotency_scope_idempotency_key" to table: "leads"
CREATE UNIQUE INDEX "lead_idempotency_scope_idempotency_key" ON "leads" ("idempotency_scope", "idempotency_key");
