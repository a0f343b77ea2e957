-- Hash format 2 (crates/lpaflow-core/src/history.rs): each entry binds the instance it produced. Rows written
-- before this migration keep format 1 and verify as they were written; every new row is format 2, with the
-- digest of the instance after it and the timers it set and cancelled (JSON), both covered by its hash.
ALTER TABLE history ADD COLUMN hash_format SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE history ADD COLUMN state_digest TEXT;
ALTER TABLE history ADD COLUMN timers TEXT;

-- The global log (docs/audit.md): every entry gets a global index, in commit order, from one counter that each
-- batch advances in its own transaction. Entries written before this migration are numbered by (at, uid, seq).
ALTER TABLE history ADD COLUMN log_index bigint;
CREATE TABLE audit_log (
    id      smallint PRIMARY KEY CHECK (id = 1),
    size    bigint NOT NULL
);
ALTER TABLE history DISABLE TRIGGER history_refuses_update;
UPDATE history SET log_index = numbered.n
FROM (SELECT uid, seq, row_number() OVER (ORDER BY at, uid, seq) - 1 AS n FROM history) AS numbered
WHERE history.uid = numbered.uid AND history.seq = numbered.seq;
ALTER TABLE history ENABLE TRIGGER history_refuses_update;
INSERT INTO audit_log (id, size) SELECT 1, count(*) FROM history;
-- No index on log_index: the log is only ever read whole (to build its tree), which a scan and a sort do,
-- and an index would cost every commit a second B-tree insert per entry. Its density (no gap, no duplicate)
-- is checked by `audit verify`.

-- The same as in migrations/sqlite/0004_audit.sql.
CREATE TABLE audit_checkpoints (
    tree_size   bigint PRIMARY KEY,
    taken_at    timestamptz NOT NULL,
    checkpoint  text NOT NULL
);
