-- Modify "contacts" table
ALTER TABLE "contacts" ADD COLUMN "last_activity_at" timestamptz NULL;
-- Modify "leads" table
ALTER TABLE "leads" ADD COLUMN "last_activity_at" timestamptz NULL;
-- Modify "stage_transitions" table
ALTER TABLE "stage_transitions" ADD COLUMN "routing_team" character varying NOT NULL DEFAULT '', ADD COLUMN "routing_code" character varying NOT NULL DEFAULT '', ADD COLUMN "routing_reason" character varying NOT NULL DEFAULT '';
-- Backfill "last_activity_at": the latest activity of each lead, and of each contact or a lead with its email
UPDATE leads SET last_activity_at = (SELECT max(a.occurred_at) FROM activities a WHERE a.lead_id = leads.id);
UPDATE contacts SET last_activity_at = (SELECT max(a.occurred_at) FROM activities a WHERE a.contact_id = contacts.id OR a.lead_id IN (SELECT l.id FROM leads l WHERE l.email = contacts.email));
