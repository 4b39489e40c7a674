-- Create index "lead_owner_id_id_account_id" to table: "leads"
CREATE INDEX `lead_owner_id_id_account_id` ON `leads` (`owner_id`, `id`, `account_id`);
-- Add column "account_id" to table: "funnel_leads"
ALTER TABLE `funnel_leads` ADD COLUMN `account_id` integer NULL;
-- Add column "exits" to table: "funnel_leads"
ALTER TABLE `funnel_leads` ADD COLUMN `exits` text NULL;
-- The exits moved onto funnel_leads (column exits).
DROP TABLE `funnel_exits`;
-- Rows written before this version lack account_id and exits: emptied, the rollup is stale and
-- the server rebuilds it at start (the funnel reads the transitions meanwhile).
DELETE FROM `funnel_leads`;
