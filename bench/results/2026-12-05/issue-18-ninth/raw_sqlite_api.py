"""Raw SQLite ceiling for `lpaflow bench api`'s commits: the writer's statements for a `record_payment`
transition (the instance row with DATA_BYTES of data, the history row with 288 bytes of changes, the log's
counter; no outbox row: the LPAs are not signed, so no OPG step is enqueued), the same schema, pragmas and
statement texts as lpaflow's writer, driven from one Python thread with no hand-offs. Derived from
../../2026-12-04/issue-18-direct/raw_sqlite.py (bench store's commits).

    lpaflow migrate --database-url sqlite:///tmp/raw.db
    pip install pysqlite3-binary      # SQLite 3.51; the system's 3.40 plans the outbox statement's RETURNING
                                      # subquery as a scan of the whole outbox (lpaflow bundles 3.46, which does not)
    python3 raw_sqlite_api.py /tmp/raw.db INSTANCES BATCH SECONDS DATA_BYTES [--no-checkpoint]

Prints commits/s, ms per transaction, statements per transaction and the ms per transaction of each part; with
--no-checkpoint, also the WAL bytes written per transaction (pages per commit).
"""
try:
    import pysqlite3 as sqlite3
except ImportError:
    import sqlite3
import time, os, sys, json, shutil
src, n_inst, batch, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
data_bytes = int(sys.argv[5])
no_checkpoint = "--no-checkpoint" in sys.argv[6:]
db = src + ".run"
for s in ("", "-wal", "-shm"):
    if os.path.exists(db + s): os.remove(db + s)
shutil.copy(src, db)
c = sqlite3.connect(db, isolation_level=None)
for p in ("journal_mode=wal", "synchronous=full", "cache_size=-16384", "temp_store=memory", "foreign_keys=off") + (("wal_autocheckpoint=0",) if no_checkpoint else ()):
    c.execute("PRAGMA " + p)
now = lambda: int(time.time() * 1e6)
H = "ab" * 32
data = json.dumps({"counter": 0, "body": "x" * (data_bytes - 30)})
insts = {}
c.execute("BEGIN IMMEDIATE")
for i in range(n_inst):
    uid = "%032x" % (i * 7919 + 12345)
    c.execute("INSERT INTO instances (uid, workflow, version, workflow_hash, state, data, revision, awaiting, head_hash, steps_enqueued, steps_pending, steps_failed, sync_status, created_at, updated_at, title) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
              (uid, "bench", 1, "bench", "open", data, 1, None, H, 0, 0, 0, "synced", now(), now(), None))
    insts[uid] = 1
c.execute("COMMIT")
def tuples(n, w): return ",".join(["(" + ",".join(["?"] * w) + ")"] * n)
def chunks(rows):
    out = []
    while rows:
        s = next(x for x in (64, 16, 4, 1) if x <= len(rows)); out.append(rows[:s]); rows = rows[s:]
    return out
UPD = lambda v: f"WITH v(uid, base_revision, state, data, revision, awaiting, head_hash, steps_enqueued, new_steps, completed_steps, updated_at, title, title_set, base_head_hash) AS (VALUES {v}) UPDATE instances SET state = v.state, data = v.data, revision = v.revision, awaiting = v.awaiting, head_hash = v.head_hash, steps_enqueued = v.steps_enqueued, steps_pending = instances.steps_pending + v.new_steps - v.completed_steps, sync_status = CASE WHEN instances.steps_failed > 0 THEN 'failed' WHEN v.awaiting IS NOT NULL THEN 'awaiting_sync' WHEN instances.steps_pending + v.new_steps - v.completed_steps > 0 THEN 'pending' ELSE 'synced' END, updated_at = v.updated_at, title = CASE WHEN v.title_set THEN v.title ELSE instances.title END FROM v WHERE instances.uid = v.uid AND instances.revision = v.base_revision AND instances.head_hash = v.base_head_hash RETURNING instances.uid, instances.steps_pending, instances.steps_failed, instances.sync_status"
HIS = lambda v: f"INSERT INTO history (uid, seq, at, actor, role, event, from_state, to_state, payload, changes, workflow, version, prev_hash, hash, hash_format, state_digest, timers, log_index, rules) VALUES {v}"
uids = list(insts); tm={"upd":0,"out":0,"his":0,"commit":0}
pos = 0; n = 0; commits = 0; stmts = 0
start = time.time(); busy = 0.0
while time.time() - start < seconds:
    chosen = []
    for _ in range(batch):
        chosen.append(uids[pos % len(uids)]); pos += 1
    t0 = time.time()
    c.execute("BEGIN IMMEDIATE")
    ts = now()
    for ch in chunks(chosen):
        params = []
        for u in ch:
            n += 1; r = insts[u]
            params += [u, r, "open", json.dumps({"counter": n, "body": "x" * (data_bytes - 30)}), r + 1, None, H, r, 1, 0, ts, None, 0, H]
        T=time.time();list(c.execute(UPD(tuples(len(ch), 14)), params)); stmts += 1;tm["upd"]+=time.time()-T
    first = c.execute("UPDATE audit_log SET size = size + ?1 WHERE id = 1 RETURNING size - ?1", (len(chosen),)).fetchone()[0]; stmts += 1
    for ch in chunks(chosen):
        params = []
        for u in ch:
            r = insts[u]
            params += [u, r + 1, ts, "bench", "service", "touch", "open", "open", '{"amountPence":1}', '[' + ','.join(['{"new":1,"old":0,"pointer":"/fee/amounts/x"}'] * 7) + ']', "bench", 1, H, H, 3, H, "[]", first, None]
            first += 1
        T=time.time();c.execute(HIS(tuples(len(ch), 19)), params); stmts += 1;tm["his"]+=time.time()-T
    T=time.time();c.execute("COMMIT");tm["commit"]+=time.time()-T
    busy += time.time() - t0
    for u in chosen: insts[u] += 1
    commits += len(chosen)
el = time.time() - start
print(f"batch={batch} instances={n_inst}: {commits/el:.0f} commits/s, {busy/ (commits/batch) *1000:.2f} ms per tx, {stmts/(commits/batch):.1f} stmts/tx")

print({k: round(v/(commits/batch)*1000,2) for k,v in tm.items()})
if no_checkpoint:
    wal = os.path.getsize(db + "-wal") / (commits / batch)
    print(f"WAL bytes per transaction {wal:.0f}, pages per commit {wal / 4120 / batch:.2f}")
print("SQLite", sqlite3.sqlite_version)
