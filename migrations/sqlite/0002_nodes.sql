-- Engine processes and their heartbeats (issue 19): a process whose heartbeat is older than the takeover bound
-- is dead, and a live one releases its step and timer leases (as after a restart) and deletes its row.
CREATE TABLE nodes (
    node_id       TEXT    PRIMARY KEY,
    started_at    INTEGER NOT NULL,
    heartbeat_at  INTEGER NOT NULL,
    address       TEXT
);
CREATE INDEX nodes_by_heartbeat ON nodes (heartbeat_at);
