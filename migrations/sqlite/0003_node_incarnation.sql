-- Each registration of an engine process is an incarnation of its node id: a paused process that wakes after
-- a restart under the same id must not beat for the new one. Each process's takeover bound travels with it,
-- so a survivor with a shorter bound does not take over a process that believes it is still fresh.
ALTER TABLE nodes ADD COLUMN incarnation TEXT NOT NULL DEFAULT '';
ALTER TABLE nodes ADD COLUMN dead_after_ms INTEGER NOT NULL DEFAULT 3000;
