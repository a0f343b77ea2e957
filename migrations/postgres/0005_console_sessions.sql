-- Console sessions held by the server: the same table as migrations/sqlite/0005_console_sessions.sql.
CREATE TABLE console_sessions (
    id            text        PRIMARY KEY,
    subject       text        NOT NULL,
    role          text        NOT NULL,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    ended_at      timestamptz,
    ended_why     text
);
CREATE INDEX console_sessions_by_subject ON console_sessions (subject);
CREATE INDEX console_sessions_open ON console_sessions (expires_at) WHERE ended_at IS NULL;
