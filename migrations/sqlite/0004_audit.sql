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

-- The global log (docs/audit.md): every entry gets a global index, in commit order, from one counter that each
-- batch advances in its own transaction. Entries written before this migration are numbered by (at, uid, seq).
ALTER TABLE history ADD COLUMN log_index INTEGER;
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    size    INTEGER NOT NULL
);
DROP TRIGGER history_refuses_update;
WITH numbered AS (SELECT uid, seq, row_number() OVER (ORDER BY at, uid, seq) - 1 AS n FROM history)
UPDATE history SET log_index = numbered.n FROM numbered
WHERE history.uid = numbered.uid AND history.seq = numbered.seq;
CREATE TRIGGER history_refuses_update BEFORE UPDATE ON history
BEGIN
    SELECT RAISE(ABORT, 'history is append-only: UPDATE refused');
END;
INSERT INTO audit_log (id, size) SELECT 1, count(*) FROM history;
-- No index on log_index: the log is only ever read whole (to build its tree), which a scan and a sort do,
-- and an index would cost every commit a second B-tree insert per entry. Its density (no gap, no duplicate)
-- is checked by `audit verify`.

-- The signed checkpoints `serve --audit-key` takes (JSON, crates/lpaflow-core/src/checkpoint.rs), so that the
-- API can serve the latest. Their signature, not this table, is what makes them trustworthy: the copies that
-- matter are the files kept outside the database.
CREATE TABLE audit_checkpoints (
    tree_size   INTEGER PRIMARY KEY,
    taken_at    INTEGER NOT NULL,
    checkpoint  TEXT    NOT NULL
);
