-- Create "accounts" table
CREATE TABLE `accounts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `domain` text NULL, `industry` text NOT NULL DEFAULT (''), `employee_count` integer NULL, `annual_revenue` real NULL, `country` text NOT NULL DEFAULT (''), `region` text NULL);
-- Create index "accounts_domain_key" to table: "accounts"
CREATE UNIQUE INDEX `accounts_domain_key` ON `accounts` (`domain`);
-- Create index "account_industry" to table: "accounts"
CREATE INDEX `account_industry` ON `accounts` (`industry`);
-- Create index "account_region" to table: "accounts"
CREATE INDEX `account_region` ON `accounts` (`region`);
-- Create "activities" table
CREATE TABLE `activities` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `occurred_at` datetime NOT NULL, `properties` json NULL, `contact_id` integer NULL, `lead_id` integer NULL, CONSTRAINT `activities_contacts_activities` FOREIGN KEY (`contact_id`) REFERENCES `contacts` (`id`) ON DELETE SET NULL, CONSTRAINT `activities_leads_activities` FOREIGN KEY (`lead_id`) REFERENCES `leads` (`id`) ON DELETE SET NULL);
-- Set sequence for "activities" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('activities', 4294967296);
-- Create index "activity_lead_id_occurred_at" to table: "activities"
CREATE INDEX `activity_lead_id_occurred_at` ON `activities` (`lead_id`, `occurred_at`);
-- Create index "activity_contact_id_occurred_at" to table: "activities"
CREATE INDEX `activity_contact_id_occurred_at` ON `activities` (`contact_id`, `occurred_at`);
-- Create "contacts" table
CREATE TABLE `contacts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `first_name` text NOT NULL DEFAULT (''), `last_name` text NOT NULL, `email` text NULL, `phone` text NULL, `title` text NOT NULL DEFAULT (''), `seniority` text NOT NULL DEFAULT ('UNKNOWN'), `buying_role` text NOT NULL DEFAULT ('UNKNOWN'), `account_id` integer NULL, CONSTRAINT `contacts_accounts_contacts` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE SET NULL);
-- Set sequence for "contacts" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('contacts', 8589934592);
-- Create index "contacts_email_key" to table: "contacts"
CREATE UNIQUE INDEX `contacts_email_key` ON `contacts` (`email`);
-- Create index "contact_account_id_buying_role" to table: "contacts"
CREATE INDEX `contact_account_id_buying_role` ON `contacts` (`account_id`, `buying_role`);
-- Create "leads" table
CREATE TABLE `leads` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `first_name` text NOT NULL DEFAULT (''), `last_name` text NOT NULL DEFAULT (''), `email` text NULL, `phone` text NULL, `company_name` text NOT NULL DEFAULT (''), `job_title` text NOT NULL DEFAULT (''), `country` text NOT NULL DEFAULT (''), `source` text NOT NULL, `budget` text NOT NULL DEFAULT ('UNKNOWN'), `budget_amount` real NULL, `authority` text NOT NULL DEFAULT ('UNKNOWN'), `need` text NOT NULL DEFAULT ('UNKNOWN'), `timing` text NOT NULL DEFAULT ('UNKNOWN'), `timing_date` datetime NULL, `estimated_value` real NULL, `stage_entered_at` datetime NOT NULL, `fit_score` integer NOT NULL DEFAULT (0), `engagement_score` integer NOT NULL DEFAULT (0), `score` integer NOT NULL DEFAULT (0), `grade` text NULL, `temperature` text NULL, `recommended_stage` text NULL, `reasons` json NULL, `bant` json NULL, `coverage` json NULL, `project_signal` bool NOT NULL DEFAULT (false), `qualified_at` datetime NULL, `policy_revision` text NULL, `version` integer NOT NULL DEFAULT (1), `idempotency_key` text NULL, `account_id` integer NULL, `stage_id` integer NOT NULL, `furthest_stage_id` integer NOT NULL, `owner_id` integer NULL, CONSTRAINT `leads_accounts_leads` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE SET NULL, CONSTRAINT `leads_stages_stage` FOREIGN KEY (`stage_id`) REFERENCES `stages` (`id`) ON DELETE NO ACTION, CONSTRAINT `leads_stages_furthest_stage` FOREIGN KEY (`furthest_stage_id`) REFERENCES `stages` (`id`) ON DELETE NO ACTION, CONSTRAINT `leads_users_owned_leads` FOREIGN KEY (`owner_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "leads" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('leads', 12884901888);
-- Create index "leads_idempotency_key_key" to table: "leads"
CREATE UNIQUE INDEX `leads_idempotency_key_key` ON `leads` (`idempotency_key`);
-- Create index "lead_stage_id_created_at" to table: "leads"
CREATE INDEX `lead_stage_id_created_at` ON `leads` (`stage_id`, `created_at`);
-- Create index "lead_owner_id_stage_id" to table: "leads"
CREATE INDEX `lead_owner_id_stage_id` ON `leads` (`owner_id`, `stage_id`);
-- Create index "lead_source_created_at" to table: "leads"
CREATE INDEX `lead_source_created_at` ON `leads` (`source`, `created_at`);
-- Create index "lead_created_at" to table: "leads"
CREATE INDEX `lead_created_at` ON `leads` (`created_at`);
-- Create index "lead_account_id" to table: "leads"
CREATE INDEX `lead_account_id` ON `leads` (`account_id`);
-- Create index "lead_email" to table: "leads"
CREATE INDEX `lead_email` ON `leads` (`email`);
-- Create "policy_revisions" table
CREATE TABLE `policy_revisions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `revision` text NOT NULL, `hash` text NOT NULL, `files` json NOT NULL, `source` text NOT NULL DEFAULT (''), `loaded_at` datetime NOT NULL, `activated_at` datetime NULL, `status` text NOT NULL, `problems` json NULL, `message` text NOT NULL DEFAULT (''));
-- Set sequence for "policy_revisions" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('policy_revisions', 17179869184);
-- Create index "policy_revisions_hash_key" to table: "policy_revisions"
CREATE UNIQUE INDEX `policy_revisions_hash_key` ON `policy_revisions` (`hash`);
-- Create index "policyrevision_status_loaded_at" to table: "policy_revisions"
CREATE INDEX `policyrevision_status_loaded_at` ON `policy_revisions` (`status`, `loaded_at`);
-- Create "projects" table
CREATE TABLE `projects` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `description` text NOT NULL DEFAULT (''), `status` text NOT NULL, `starts_at` datetime NULL, `ends_at` datetime NULL, `budget` real NULL, `account_id` integer NOT NULL, CONSTRAINT `projects_accounts_projects` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE NO ACTION);
-- Set sequence for "projects" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('projects', 21474836480);
-- Create index "project_account_id_status" to table: "projects"
CREATE INDEX `project_account_id_status` ON `projects` (`account_id`, `status`);
-- Create "stages" table
CREATE TABLE `stages` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `key` text NOT NULL, `name` text NOT NULL, `position` integer NOT NULL, `kind` text NOT NULL, `retired` bool NOT NULL DEFAULT (false));
-- Set sequence for "stages" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('stages', 25769803776);
-- Create index "stages_key_key" to table: "stages"
CREATE UNIQUE INDEX `stages_key_key` ON `stages` (`key`);
-- Create "stage_transitions" table
CREATE TABLE `stage_transitions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `occurred_at` datetime NOT NULL, `from_entered_at` datetime NULL, `actor_kind` text NOT NULL, `trigger` text NOT NULL, `reason_code` text NOT NULL DEFAULT (''), `reason` text NOT NULL DEFAULT (''), `policy_revision` text NOT NULL DEFAULT (''), `decision_id` text NOT NULL DEFAULT (''), `lead_id` integer NOT NULL, `from_stage_id` integer NULL, `to_stage_id` integer NOT NULL, `actor_id` integer NULL, `assigned_owner_id` integer NULL, CONSTRAINT `stage_transitions_leads_transitions` FOREIGN KEY (`lead_id`) REFERENCES `leads` (`id`) ON DELETE NO ACTION, CONSTRAINT `stage_transitions_stages_from_stage` FOREIGN KEY (`from_stage_id`) REFERENCES `stages` (`id`) ON DELETE SET NULL, CONSTRAINT `stage_transitions_stages_to_stage` FOREIGN KEY (`to_stage_id`) REFERENCES `stages` (`id`) ON DELETE NO ACTION, CONSTRAINT `stage_transitions_users_actor` FOREIGN KEY (`actor_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `stage_transitions_users_assigned_owner` FOREIGN KEY (`assigned_owner_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "stage_transitions" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('stage_transitions', 30064771072);
-- Create index "stagetransition_lead_id_occurred_at" to table: "stage_transitions"
CREATE INDEX `stagetransition_lead_id_occurred_at` ON `stage_transitions` (`lead_id`, `occurred_at`);
-- Create index "stagetransition_to_stage_id_occurred_at" to table: "stage_transitions"
CREATE INDEX `stagetransition_to_stage_id_occurred_at` ON `stage_transitions` (`to_stage_id`, `occurred_at`);
-- Create "users" table
CREATE TABLE `users` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `email` text NOT NULL, `role` text NOT NULL, `team` text NOT NULL DEFAULT (''), `active` bool NOT NULL DEFAULT (true));
-- Set sequence for "users" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('users', 34359738368);
-- Create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`);
-- Create index "user_team_role_active" to table: "users"
CREATE INDEX `user_team_role_active` ON `users` (`team`, `role`, `active`);
-- Create "lead_contacts" table
CREATE TABLE `lead_contacts` (`lead_id` integer NOT NULL, `contact_id` integer NOT NULL, PRIMARY KEY (`lead_id`, `contact_id`), CONSTRAINT `lead_contacts_lead_id` FOREIGN KEY (`lead_id`) REFERENCES `leads` (`id`) ON DELETE CASCADE, CONSTRAINT `lead_contacts_contact_id` FOREIGN KEY (`contact_id`) REFERENCES `contacts` (`id`) ON DELETE CASCADE);
-- Create "project_key_contacts" table
CREATE TABLE `project_key_contacts` (`project_id` integer NOT NULL, `contact_id` integer NOT NULL, PRIMARY KEY (`project_id`, `contact_id`), CONSTRAINT `project_key_contacts_project_id` FOREIGN KEY (`project_id`) REFERENCES `projects` (`id`) ON DELETE CASCADE, CONSTRAINT `project_key_contacts_contact_id` FOREIGN KEY (`contact_id`) REFERENCES `contacts` (`id`) ON DELETE CASCADE);
