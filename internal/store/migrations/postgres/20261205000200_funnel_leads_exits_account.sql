-- Modify "funnel_leads" table
ALTER TABLE "funnel_leads" ADD COLUMN "account_id" bigint NULL, ADD COLUMN "exits" text NULL;
-- The exits moved onto funnel_leads (column exits)
DROP TABLE "funnel_exits";
