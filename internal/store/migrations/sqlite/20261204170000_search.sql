-- Free-text search (internal/fulltext), hand-written: ent models no virtual table or trigger.
-- One FTS5 table per searchable table, rowid = id, holding the text searched; triggers keep it in
-- step and the INSERT … SELECT indexes the existing rows. unicode61 with remove_diacritics folds
-- case and accents; word prefixes are FTS5 prefix queries.
CREATE VIRTUAL TABLE `leads_search` USING fts5(doc, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER `leads_search_insert` AFTER INSERT ON `leads` BEGIN
  INSERT INTO `leads_search` (rowid, doc) VALUES (new.`id`, coalesce(new.`first_name`, '') || ' ' || coalesce(new.`last_name`, '') || ' ' || coalesce(new.`email`, '') || ' ' || coalesce(new.`company_name`, '') || ' ' || coalesce(new.`job_title`, ''));
END;
CREATE TRIGGER `leads_search_update` AFTER UPDATE OF `first_name`, `last_name`, `email`, `company_name`, `job_title` ON `leads` BEGIN
  UPDATE `leads_search` SET doc = coalesce(new.`first_name`, '') || ' ' || coalesce(new.`last_name`, '') || ' ' || coalesce(new.`email`, '') || ' ' || coalesce(new.`company_name`, '') || ' ' || coalesce(new.`job_title`, '') WHERE rowid = new.`id`;
END;
CREATE TRIGGER `leads_search_delete` AFTER DELETE ON `leads` BEGIN
  DELETE FROM `leads_search` WHERE rowid = old.`id`;
END;
INSERT INTO `leads_search` (rowid, doc) SELECT `id`, coalesce(`first_name`, '') || ' ' || coalesce(`last_name`, '') || ' ' || coalesce(`email`, '') || ' ' || coalesce(`company_name`, '') || ' ' || coalesce(`job_title`, '') FROM `leads`;
CREATE VIRTUAL TABLE `contacts_search` USING fts5(doc, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER `contacts_search_insert` AFTER INSERT ON `contacts` BEGIN
  INSERT INTO `contacts_search` (rowid, doc) VALUES (new.`id`, coalesce(new.`first_name`, '') || ' ' || coalesce(new.`last_name`, '') || ' ' || coalesce(new.`email`, '') || ' ' || coalesce(new.`title`, ''));
END;
CREATE TRIGGER `contacts_search_update` AFTER UPDATE OF `first_name`, `last_name`, `email`, `title` ON `contacts` BEGIN
  UPDATE `contacts_search` SET doc = coalesce(new.`first_name`, '') || ' ' || coalesce(new.`last_name`, '') || ' ' || coalesce(new.`email`, '') || ' ' || coalesce(new.`title`, '') WHERE rowid = new.`id`;
END;
CREATE TRIGGER `contacts_search_delete` AFTER DELETE ON `contacts` BEGIN
  DELETE FROM `contacts_search` WHERE rowid = old.`id`;
END;
INSERT INTO `contacts_search` (rowid, doc) SELECT `id`, coalesce(`first_name`, '') || ' ' || coalesce(`last_name`, '') || ' ' || coalesce(`email`, '') || ' ' || coalesce(`title`, '') FROM `contacts`;
CREATE VIRTUAL TABLE `accounts_search` USING fts5(doc, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER `accounts_search_insert` AFTER INSERT ON `accounts` BEGIN
  INSERT INTO `accounts_search` (rowid, doc) VALUES (new.`id`, coalesce(new.`name`, '') || ' ' || coalesce(new.`domain`, ''));
END;
CREATE TRIGGER `accounts_search_update` AFTER UPDATE OF `name`, `domain` ON `accounts` BEGIN
  UPDATE `accounts_search` SET doc = coalesce(new.`name`, '') || ' ' || coalesce(new.`domain`, '') WHERE rowid = new.`id`;
END;
CREATE TRIGGER `accounts_search_delete` AFTER DELETE ON `accounts` BEGIN
  DELETE FROM `accounts_search` WHERE rowid = old.`id`;
END;
INSERT INTO `accounts_search` (rowid, doc) SELECT `id`, coalesce(`name`, '') || ' ' || coalesce(`domain`, '') FROM `accounts`;
-- A lead is found through its contacts: the join table's key starts with lead_id, so the lookup by
-- contact needs its own index.
CREATE INDEX `lead_contacts_search_contact` ON `lead_contacts` (`contact_id`, `lead_id`);
