-- lpaflow schema, SQLite. Times are INTEGER microseconds since the Unix epoch (UTC).
-- Never edit a migration once applied; add a new one.

CREATE TABLE workflow_definitions (
    name        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    hash        TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    loaded_at   INTEGER NOT NULL,
    PRIMARY KEY (name, version, hash)
);

CREATE TABLE instances (
    uid             TEXT    PRIMARY KEY,
    workflow        TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    workflow_hash   TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    data            TEXT    NOT NULL,
    revision        INTEGER NOT NULL,
    awaiting        TEXT,
    head_hash       TEXT    NOT NULL,
    steps_enqueued  INTEGER NOT NULL DEFAULT 0,
    steps_pending   INTEGER NOT NULL DEFAULT 0,
    steps_failed    INTEGER NOT NULL DEFAULT 0,
    sync_status     TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX instances_by_state ON instances (state, created_at, uid);
CREATE INDEX instances_with_pending_steps ON instances (created_at, uid) WHERE steps_pending > 0;
CREATE INDEX instances_with_failed_steps ON instances (created_at, uid) WHERE steps_failed > 0;
CREATE INDEX instances_awaiting_sync ON instances (created_at, uid) WHERE awaiting IS NOT NULL;
CREATE INDEX instances_by_created ON instances (created_at, uid);

CREATE TABLE instance_labels (
    label       TEXT    NOT NULL,
    uid         TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (label, created_at, uid)
);
CREATE INDEX instance_labels_by_uid ON instance_labels (uid);

CREATE TABLE history (
    uid         TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    event       TEXT    NOT NULL,
    from_state  TEXT,
    to_state    TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    changes     TEXT    NOT NULL,
    workflow    TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL,
    PRIMARY KEY (uid, seq)
) WITHOUT ROWID;

CREATE TRIGGER history_refuses_update BEFORE UPDATE ON history
BEGIN
    SELECT RAISE(ABORT, 'history is append-only: UPDATE refused');
END;

CREATE TRIGGER history_refuses_delete BEFORE DELETE ON history
BEGIN
    SELECT RAISE(ABORT, 'history is append-only: DELETE refused');
END;

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    uid             TEXT    NOT NULL,
    seq             INTEGER NOT NULL,
    revision        INTEGER NOT NULL,
    step            TEXT    NOT NULL,
    delivery        TEXT    NOT NULL,
    then_event      TEXT,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    ambiguous       INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER,
    fence           INTEGER NOT NULL DEFAULT 0,
    result          TEXT,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    completed_at    INTEGER,
    UNIQUE (uid, seq)
);
CREATE INDEX outbox_claimable ON outbox (next_attempt_at, id) WHERE status IN ('queued', 'retrying', 'suspended');
CREATE INDEX outbox_in_flight ON outbox (lease_until) WHERE status = 'in_flight';
CREATE INDEX outbox_open ON outbox (status, created_at) WHERE status NOT IN ('done', 'skipped');

CREATE TABLE timers (
    uid         TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    fire_at     INTEGER NOT NULL,
    event       TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    fence       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (uid, name)
);
CREATE INDEX timers_due ON timers (fire_at);

CREATE TABLE idempotency_keys (
    actor           TEXT    NOT NULL,
    key             TEXT    NOT NULL,
    request_hash    TEXT    NOT NULL,
    status          INTEGER,
    response        TEXT,
    created_at      INTEGER NOT NULL,
    completed_at    INTEGER,
    uid             TEXT,
    revision        INTEGER,
    PRIMARY KEY (actor, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

CREATE TABLE opg_maintenance (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX opg_maintenance_by_end ON opg_maintenance (ends_at);
