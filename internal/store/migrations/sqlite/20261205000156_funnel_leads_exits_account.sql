-- Add column "account_id" to table: "funnel_leads"
ALTER TABLE `funnel_leads` ADD COLUMN `account_id` integer NULL;
-- Add column "exits" to table: "funnel_leads"
ALTER TABLE `funnel_leads` ADD COLUMN `exits` text NULL;
-- The exits moved onto funnel_leads (column exits)
DROP TABLE `funnel_exits`;
