-- Hash format 2 (crates/lpaflow-core/src/history.rs): each entry binds the instance it produced. Rows written
-- before this migration keep format 1 and verify as they were written; every new row is format 2, with the
-- digest of the instance after it and the timers it set and cancelled (JSON), both covered by its hash.
ALTER TABLE history ADD COLUMN hash_format SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE history ADD COLUMN state_digest TEXT;
ALTER TABLE history ADD COLUMN timers TEXT;
