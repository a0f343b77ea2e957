-- Reveals of masked personal values (issues 16 and 17): auditors read history with names, dates of birth and
-- addresses masked; one entry's values are shown to an auditor who asks, with a reason, and the asking is
-- recorded here before anything is shown. Append-only, like history.
CREATE TABLE reveals (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    uid          TEXT    NOT NULL,
    seq          INTEGER NOT NULL,
    actor        TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    revealed_at  INTEGER NOT NULL
);
CREATE INDEX reveals_by_uid ON reveals (uid, id);

CREATE TRIGGER reveals_refuse_update BEFORE UPDATE ON reveals
BEGIN
    SELECT RAISE(ABORT, 'reveals are append-only: UPDATE refused');
END;

CREATE TRIGGER reveals_refuse_delete BEFORE DELETE ON reveals
BEGIN
    SELECT RAISE(ABORT, 'reveals are append-only: DELETE refused');
END;

-- INSERT OR REPLACE over an existing reveal deletes it by conflict resolution, firing no DELETE trigger.
CREATE TRIGGER reveals_refuse_replace BEFORE INSERT ON reveals
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM reveals WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'reveals are append-only: REPLACE refused');
END;
