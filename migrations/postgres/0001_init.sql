-- lpaflow schema, PostgreSQL: the same tables, columns and semantics as migrations/sqlite/0001_init.sql.
-- Never edit a migration once applied; add a new one.
--
-- Nothing here names a schema: every connection of the store puts lpaflow's schema (`?schema=`, default
-- `lpaflow`) first on its search_path, so these tables, the trigger function and `_sqlx_migrations` all land in
-- it, inside whatever database the operator gives us.
--
-- Types:
-- - Times are timestamptz. PostgreSQL keeps microseconds, the precision the SQLite backend stores as INTEGER
--   microseconds, so a time reads back equal to the time written on both.
-- - JSON is text, never jsonb: history `payload` and `changes` are covered by the hash chain over canonical
--   JSON, and jsonb would renormalize numbers and refuse strings containing U+0000. Instance data, step
--   payloads and results are text for the same reason (they round-trip byte for byte, as on SQLite);
--   `data::jsonb` serves ad hoc queries.
-- - Identifiers that are sorted or paged on (uids, labels, names) use COLLATE "C": the same byte order as
--   SQLite, whatever the database's default collation, and cheaper comparisons.

CREATE TABLE workflow_definitions (
    name        text COLLATE "C" NOT NULL,
    version     bigint      NOT NULL,
    hash        text        NOT NULL,
    source      text        NOT NULL,
    loaded_at   timestamptz NOT NULL,
    PRIMARY KEY (name, version, hash)
);

CREATE TABLE instances (
    uid             text COLLATE "C" PRIMARY KEY,
    workflow        text COLLATE "C" NOT NULL,
    version         bigint      NOT NULL,
    workflow_hash   text        NOT NULL,
    state           text COLLATE "C" NOT NULL,
    data            text        NOT NULL,
    revision        bigint      NOT NULL,
    awaiting        text,
    head_hash       text        NOT NULL,
    steps_enqueued  bigint      NOT NULL DEFAULT 0,
    steps_pending   bigint      NOT NULL DEFAULT 0,
    steps_failed    bigint      NOT NULL DEFAULT 0,
    sync_status     text        NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX instances_by_state ON instances (state, created_at, uid);
CREATE INDEX instances_with_pending_steps ON instances (created_at, uid) WHERE steps_pending > 0;
CREATE INDEX instances_with_failed_steps ON instances (created_at, uid) WHERE steps_failed > 0;
CREATE INDEX instances_awaiting_sync ON instances (created_at, uid) WHERE awaiting IS NOT NULL;
CREATE INDEX instances_by_created ON instances (created_at, uid);

CREATE TABLE instance_labels (
    label       text COLLATE "C" NOT NULL,
    uid         text COLLATE "C" NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (label, created_at, uid)
);
CREATE INDEX instance_labels_by_uid ON instance_labels (uid);

CREATE TABLE history (
    uid         text COLLATE "C" NOT NULL,
    seq         bigint      NOT NULL,
    at          timestamptz NOT NULL,
    actor       text        NOT NULL,
    role        text        NOT NULL,
    event       text        NOT NULL,
    from_state  text,
    to_state    text        NOT NULL,
    payload     text        NOT NULL,
    changes     text        NOT NULL,
    workflow    text        NOT NULL,
    version     bigint      NOT NULL,
    prev_hash   text        NOT NULL,
    hash        text        NOT NULL,
    PRIMARY KEY (uid, seq)
);

-- History is append-only. Row triggers, like SQLite's, so the refusal names the operation; TRUNCATE skips row
-- triggers, so it is refused by a statement trigger of its own.
CREATE FUNCTION history_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'history is append-only: % refused', TG_OP;
END;
$$;

CREATE TRIGGER history_refuses_update BEFORE UPDATE ON history
    FOR EACH ROW EXECUTE FUNCTION history_refuse_change();

CREATE TRIGGER history_refuses_delete BEFORE DELETE ON history
    FOR EACH ROW EXECUTE FUNCTION history_refuse_change();

CREATE TRIGGER history_refuses_truncate BEFORE TRUNCATE ON history
    FOR EACH STATEMENT EXECUTE FUNCTION history_refuse_change();

CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uid             text COLLATE "C" NOT NULL,
    seq             bigint      NOT NULL,
    revision        bigint      NOT NULL,
    step            text        NOT NULL,
    delivery        text        NOT NULL,
    then_event      text,
    payload         text        NOT NULL,
    status          text        NOT NULL,
    attempts        bigint      NOT NULL DEFAULT 0,
    ambiguous       boolean     NOT NULL DEFAULT false,
    next_attempt_at timestamptz NOT NULL,
    lease_owner     text,
    lease_until     timestamptz,
    fence           bigint      NOT NULL DEFAULT 0,
    result          text,
    last_error      text,
    created_at      timestamptz NOT NULL,
    completed_at    timestamptz,
    UNIQUE (uid, seq)
);
CREATE INDEX outbox_claimable ON outbox (next_attempt_at, id) WHERE status IN ('queued', 'retrying', 'suspended');
CREATE INDEX outbox_in_flight ON outbox (lease_until) WHERE status = 'in_flight';
CREATE INDEX outbox_open ON outbox (status, created_at) WHERE status NOT IN ('done', 'skipped');
-- PostgreSQL only: whether an instance has an open step, asked for every commit that enqueues steps, is one
-- probe here instead of a walk over all of the instance's steps (most of them done) through (uid, seq).
CREATE INDEX outbox_open_by_uid ON outbox (uid) WHERE status NOT IN ('done', 'skipped');

CREATE TABLE timers (
    uid         text COLLATE "C" NOT NULL,
    name        text COLLATE "C" NOT NULL,
    fire_at     timestamptz NOT NULL,
    event       text        NOT NULL,
    payload     text        NOT NULL,
    lease_owner text,
    lease_until timestamptz,
    fence       bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (uid, name)
);
CREATE INDEX timers_due ON timers (fire_at);

CREATE TABLE idempotency_keys (
    actor           text        NOT NULL,
    key             text        NOT NULL,
    request_hash    text        NOT NULL,
    status          bigint,
    response        text,
    created_at      timestamptz NOT NULL,
    completed_at    timestamptz,
    uid             text,
    revision        bigint,
    PRIMARY KEY (actor, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

CREATE TABLE opg_maintenance (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    reason      text        NOT NULL,
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX opg_maintenance_by_end ON opg_maintenance (ends_at);
