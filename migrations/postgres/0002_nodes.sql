-- Engine processes and their heartbeats (issue 19): the same table as migrations/sqlite/0002_nodes.sql.
CREATE TABLE nodes (
    node_id       text        PRIMARY KEY,
    started_at    timestamptz NOT NULL,
    heartbeat_at  timestamptz NOT NULL,
    address       text
);
CREATE INDEX nodes_by_heartbeat ON nodes (heartbeat_at);
