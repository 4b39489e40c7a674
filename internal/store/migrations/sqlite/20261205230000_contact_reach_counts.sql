-- contact_reach_counts (internal/contactcount), hand-written: the number of contacts per reach
-- signature (their JSON reach, migration "contact_reach_lead_counts"), kept exact by the
-- triggers below, so that an unfiltered contacts page's totalCount for a row-filtered caller
-- sums the signatures whose reach meets the caller's owners instead of testing every contact.
-- The slots (a contact's id modulo 8 for a reach of at most one owner, else 0) are PostgreSQL's,
-- against concurrent writes on one row.
-- A contact is inserted with the reach it is given and the trigger contacts_reach_insert then
-- sets it by an UPDATE, counted as a move (an upsert of -1: the move may be counted before the
-- insert), whichever of the two insert triggers runs first. Rows at zero go.
CREATE TABLE `contact_reach_counts` (`reach` text NOT NULL, `slot` integer NOT NULL, `n` integer NOT NULL, PRIMARY KEY (`reach`, `slot`));
CREATE TRIGGER `contact_reach_counts_insert` AFTER INSERT ON `contacts` BEGIN
  INSERT INTO `contact_reach_counts` (`reach`, `slot`, `n`) VALUES (new.`reach`, CASE WHEN json_array_length(new.`reach`) <= 1 THEN new.`id` % 8 ELSE 0 END, 1)
    ON CONFLICT (`reach`, `slot`) DO UPDATE SET `n` = `n` + 1;
END;
CREATE TRIGGER `contact_reach_counts_delete` AFTER DELETE ON `contacts` BEGIN
  INSERT INTO `contact_reach_counts` (`reach`, `slot`, `n`) VALUES (old.`reach`, CASE WHEN json_array_length(old.`reach`) <= 1 THEN old.`id` % 8 ELSE 0 END, -1)
    ON CONFLICT (`reach`, `slot`) DO UPDATE SET `n` = `n` - 1;
  DELETE FROM `contact_reach_counts` WHERE `reach` = old.`reach` AND `slot` = CASE WHEN json_array_length(old.`reach`) <= 1 THEN old.`id` % 8 ELSE 0 END AND `n` = 0;
END;
CREATE TRIGGER `contact_reach_counts_update` AFTER UPDATE OF `reach` ON `contacts` WHEN old.`reach` IS NOT new.`reach` BEGIN
  INSERT INTO `contact_reach_counts` (`reach`, `slot`, `n`) VALUES (old.`reach`, CASE WHEN json_array_length(old.`reach`) <= 1 THEN old.`id` % 8 ELSE 0 END, -1)
    ON CONFLICT (`reach`, `slot`) DO UPDATE SET `n` = `n` - 1;
  DELETE FROM `contact_reach_counts` WHERE `reach` = old.`reach` AND `slot` = CASE WHEN json_array_length(old.`reach`) <= 1 THEN old.`id` % 8 ELSE 0 END AND `n` = 0;
  INSERT INTO `contact_reach_counts` (`reach`, `slot`, `n`) VALUES (new.`reach`, CASE WHEN json_array_length(new.`reach`) <= 1 THEN new.`id` % 8 ELSE 0 END, 1)
    ON CONFLICT (`reach`, `slot`) DO UPDATE SET `n` = `n` + 1;
END;
INSERT INTO `contact_reach_counts` (`reach`, `slot`, `n`) SELECT `reach`, CASE WHEN json_array_length(`reach`) <= 1 THEN `id` % 8 ELSE 0 END, count(*) FROM `contacts` WHERE true GROUP BY 1, 2;
