-- Search and titles (crates/lpaflow-core/src/search.rs): what the rules say an instance is found and sorted by,
-- kept in step with it by every commit whose `findable` changed. A term is normalised text (lower-case letters
-- and digits); a query word matches a term it is a prefix of, a range scan of the primary key
-- (`term >= word AND term < word-with-its-last-character-incremented`), the same on both backends. `personal`
-- terms (names, postcodes, dates of birth) are searched only for callers who may see personal data.
ALTER TABLE instances ADD COLUMN title TEXT;
CREATE INDEX instances_by_title ON instances (title, uid);
CREATE INDEX instances_by_updated ON instances (updated_at, uid);

CREATE TABLE instance_terms (
    term      TEXT    NOT NULL,
    uid       TEXT    NOT NULL,
    personal  INTEGER NOT NULL,
    PRIMARY KEY (term, uid)
) WITHOUT ROWID;
CREATE INDEX instance_terms_by_uid ON instance_terms (uid);
