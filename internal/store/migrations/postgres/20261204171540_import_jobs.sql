-- Modify "import_runs" table
ALTER TABLE "import_runs" ADD COLUMN "file" bytea NULL, ADD COLUMN "columns" jsonb NULL, ADD COLUMN "default_source" character varying NOT NULL DEFAULT '', ADD COLUMN "checkpoint" bigint NOT NULL DEFAULT 0, ADD COLUMN "river_job_id" bigint NULL;
