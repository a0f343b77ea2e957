-- Hash format 2 (crates/lpaflow-core/src/history.rs): each entry binds the instance it produced. Rows written
-- before this migration keep format 1 and verify as they were written; every new row is format 2, with the
-- digest of the instance after it and the timers it set and cancelled (JSON), both covered by its hash.
ALTER TABLE history ADD COLUMN hash_format SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE history ADD COLUMN state_digest TEXT;
ALTER TABLE history ADD COLUMN timers TEXT;

-- INSERT OR REPLACE (and REPLACE INTO) over an existing entry deletes it by conflict resolution, which fires no
-- DELETE trigger unless recursive_triggers is on: refuse any insert of an entry that already exists. (An upsert,
-- INSERT ... ON CONFLICT DO UPDATE, is an UPDATE and already refused.) Costs one primary-key probe per entry,
-- on pages the insert itself reads.
CREATE TRIGGER history_refuses_replace BEFORE INSERT ON history
WHEN EXISTS (SELECT 1 FROM history WHERE uid = NEW.uid AND seq = NEW.seq)
BEGIN
    SELECT RAISE(ABORT, 'history is append-only: REPLACE refused');
END;
