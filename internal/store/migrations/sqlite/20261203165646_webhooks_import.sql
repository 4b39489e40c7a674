-- Create "import_mappings" table
CREATE TABLE `import_mappings` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `name` text NOT NULL, `columns` json NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL);
-- Set sequence for "import_mappings" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('import_mappings', 77309411328);
-- Create index "import_mappings_name_key" to table: "import_mappings"
CREATE UNIQUE INDEX `import_mappings_name_key` ON `import_mappings` (`name`);
-- Create "import_runs" table
CREATE TABLE `import_runs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `file_name` text NOT NULL DEFAULT (''), `dry_run` bool NOT NULL DEFAULT (false), `status` text NOT NULL DEFAULT ('RUNNING'), `encoding` text NOT NULL DEFAULT (''), `delimiter` text NOT NULL DEFAULT (''), `total` integer NOT NULL DEFAULT (0), `processed` integer NOT NULL DEFAULT (0), `created` integer NOT NULL DEFAULT (0), `matched` integer NOT NULL DEFAULT (0), `refused` integer NOT NULL DEFAULT (0), `unknown_columns` json NULL, `error_csv` text NOT NULL DEFAULT (''), `created_at` datetime NOT NULL, `finished_at` datetime NULL);
-- Set sequence for "import_runs" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('import_runs', 81604378624);
-- Create "webhook_attempts" table
CREATE TABLE `webhook_attempts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `at` datetime NOT NULL, `status_code` integer NULL, `duration_ms` integer NOT NULL, `error` text NOT NULL DEFAULT (''), `delivery_id` integer NOT NULL, CONSTRAINT `webhook_attempts_webhook_deliveries_attempt_log` FOREIGN KEY (`delivery_id`) REFERENCES `webhook_deliveries` (`id`) ON DELETE NO ACTION);
-- Set sequence for "webhook_attempts" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('webhook_attempts', 85899345920);
-- Create "webhook_deliveries" table
CREATE TABLE `webhook_deliveries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `event_id` text NOT NULL, `event_type` text NOT NULL, `lead_id` integer NULL, `transition_id` integer NULL, `payload` text NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `attempts` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NOT NULL, `last_status_code` integer NULL, `last_error` text NOT NULL DEFAULT (''), `delivered_at` datetime NULL, `created_at` datetime NOT NULL, `endpoint_id` integer NOT NULL, CONSTRAINT `webhook_deliveries_webhook_endpoints_deliveries` FOREIGN KEY (`endpoint_id`) REFERENCES `webhook_endpoints` (`id`) ON DELETE NO ACTION);
-- Set sequence for "webhook_deliveries" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('webhook_deliveries', 90194313216);
-- Create index "webhookdelivery_status_next_attempt_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_status_next_attempt_at` ON `webhook_deliveries` (`status`, `next_attempt_at`);
-- Create index "webhookdelivery_endpoint_id_created_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_endpoint_id_created_at` ON `webhook_deliveries` (`endpoint_id`, `created_at`);
-- Create index "webhookdelivery_endpoint_id_event_id" to table: "webhook_deliveries"
CREATE UNIQUE INDEX `webhookdelivery_endpoint_id_event_id` ON `webhook_deliveries` (`endpoint_id`, `event_id`);
-- Create "webhook_endpoints" table
CREATE TABLE `webhook_endpoints` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `url` text NOT NULL, `description` text NOT NULL DEFAULT (''), `event_types` json NULL, `from_stages` json NULL, `to_stages` json NULL, `teams` json NULL, `secret` text NOT NULL, `previous_secret` text NULL, `previous_secret_expires_at` datetime NULL, `enabled` bool NOT NULL DEFAULT (true), `disabled_at` datetime NULL, `disabled_reason` text NOT NULL DEFAULT (''), `failing_since` datetime NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `owner_id` integer NULL, CONSTRAINT `webhook_endpoints_users_owner` FOREIGN KEY (`owner_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "webhook_endpoints" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('webhook_endpoints', 94489280512);
