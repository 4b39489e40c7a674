-- Modify "requalify_jobs" table
ALTER TABLE "requalify_jobs" ADD COLUMN "river_job_id" bigint NULL, ADD COLUMN "checkpoint" bigint NOT NULL DEFAULT 0, ADD COLUMN "only_changed_from" character varying NOT NULL DEFAULT '';
