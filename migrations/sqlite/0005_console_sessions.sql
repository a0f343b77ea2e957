-- Console sessions held by the server (issue 17): the browser keeps a random secret, the database only its
-- SHA-256 (`id`), so whoever reads this table cannot take a session over. A session ends on sign-out, when an
-- admin revokes it, when its subject signs in under another role, after an idle time and at its token's expiry.
CREATE TABLE console_sessions (
    id            TEXT    PRIMARY KEY,
    subject       TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    ended_at      INTEGER,
    ended_why     TEXT
);
CREATE INDEX console_sessions_by_subject ON console_sessions (subject);
CREATE INDEX console_sessions_open ON console_sessions (expires_at) WHERE ended_at IS NULL;
