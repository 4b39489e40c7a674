-- Create "simulations" table
CREATE TABLE `simulations` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `status` text NOT NULL DEFAULT ('QUEUED'), `draft_hash` text NOT NULL, `draft_files` json NOT NULL, `active_hash` text NOT NULL, `where` json NULL, `sample` integer NOT NULL DEFAULT (20), `requested_by` text NOT NULL DEFAULT (''), `total` integer NOT NULL DEFAULT (0), `processed` integer NOT NULL DEFAULT (0), `errors` json NULL, `created_at` datetime NOT NULL, `started_at` datetime NULL, `finished_at` datetime NULL, `river_job_id` integer NULL, `checkpoint` integer NOT NULL DEFAULT (0), `partial` json NULL);
-- Set sequence for "simulations" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('simulations', 103079215104);
