-- Modify "contacts" table
ALTER TABLE "contacts" ADD COLUMN "last_activity_at" timestamptz NULL;
-- Modify "leads" table
ALTER TABLE "leads" ADD COLUMN "last_activity_at" timestamptz NULL;
-- Create index "lead_last_activity_at" to table: "leads"
CREATE INDEX "lead_last_activity_at" ON "leads" ("last_activity_at");
