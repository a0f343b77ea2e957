-- Reveals of masked personal values: the same table as migrations/sqlite/0007_reveals.sql. The serving role
-- is granted only SELECT and INSERT on it (`grant_serving_role`), and the triggers refuse any change.
CREATE TABLE reveals (
    id           bigserial   PRIMARY KEY,
    uid          text        NOT NULL,
    seq          bigint      NOT NULL,
    actor        text        NOT NULL,
    role         text        NOT NULL,
    reason       text        NOT NULL,
    revealed_at  timestamptz NOT NULL
);
CREATE INDEX reveals_by_uid ON reveals (uid, id);

CREATE FUNCTION reveals_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'reveals are append-only: % refused', TG_OP;
END;
$$;

CREATE TRIGGER reveals_refuse_update BEFORE UPDATE ON reveals
    FOR EACH ROW EXECUTE FUNCTION reveals_refuse_change();

CREATE TRIGGER reveals_refuse_delete BEFORE DELETE ON reveals
    FOR EACH ROW EXECUTE FUNCTION reveals_refuse_change();

CREATE TRIGGER reveals_refuse_truncate BEFORE TRUNCATE ON reveals
    FOR EACH STATEMENT EXECUTE FUNCTION reveals_refuse_change();
