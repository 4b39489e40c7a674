-- Modify "import_runs" table
ALTER TABLE "import_runs" ADD COLUMN "started_by_id" bigint NULL, ADD COLUMN "started_by_role" character varying NOT NULL DEFAULT '', ADD COLUMN "started_by_team" character varying NOT NULL DEFAULT '', ADD COLUMN "started_by_via" character varying NOT NULL DEFAULT '', ADD COLUMN "started_by_subject" character varying NOT NULL DEFAULT '';
