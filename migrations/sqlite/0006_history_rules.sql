-- Hash format 3 (crates/lpaflow-core/src/history.rs): each entry names the version of the rules that decided it
-- (`Rules::version`, e.g. `lpaflow-lpa/1@Europe/London`), covered by its hash, so that `audit verify --replay`
-- replays it with exactly those rules. Rows written before keep format 1 or 2 and are "not replayable by this
-- build"; they verify as they were written.
ALTER TABLE history ADD COLUMN rules TEXT;
