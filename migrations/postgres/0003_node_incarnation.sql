-- The same columns as migrations/sqlite/0003_node_incarnation.sql.
ALTER TABLE nodes ADD COLUMN incarnation text NOT NULL DEFAULT '';
ALTER TABLE nodes ADD COLUMN dead_after_ms bigint NOT NULL DEFAULT 3000;
