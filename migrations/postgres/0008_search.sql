-- Search and titles: the same tables as migrations/sqlite/0008_search.sql. Terms, uids and titles compare
-- byte for byte (COLLATE "C", as SQLite compares them), so a word's prefix range is a B-tree range scan and
-- titles sort in the same order on both backends. The serving role gets SELECT, INSERT, UPDATE and DELETE on
-- instance_terms with every other table of the schema (`grant_serving_role`).
ALTER TABLE instances ADD COLUMN title text COLLATE "C";
CREATE INDEX instances_by_title ON instances (title, uid);
CREATE INDEX instances_by_updated ON instances (updated_at, uid);

CREATE TABLE instance_terms (
    term      text COLLATE "C" NOT NULL,
    uid       text COLLATE "C" NOT NULL,
    personal  boolean NOT NULL,
    PRIMARY KEY (term, uid)
);
CREATE INDEX instance_terms_by_uid ON instance_terms (uid);
