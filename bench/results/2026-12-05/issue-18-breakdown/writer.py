#!/usr/bin/env python3
"""The SQLite writer thread's samples by what it was doing, as shares of all samples, from the same
`perf script -F comm,ip,sym` text as breakdown.py (eleventh session)."""
import collections,re,sys
def stacks(path):
    comm, frames = None, None
    for line in open(path):
        if not line.strip(): continue
        if not line.startswith(("\t"," ")):
            if frames is not None: yield comm, frames
            comm, frames = line.strip(), []
            continue
        parts=line.strip().split(None,1)
        frames.append(parts[1] if len(parts)>1 else "?")
    if frames is not None: yield comm, frames
c=collections.Counter(); total=0; w=0
for comm, s in stacks(sys.argv[1]):
    total+=1
    if not comm.startswith("lpaflow-sqlite"): continue
    w+=1
    j="\n".join(s)
    if "fsync" in j or "fdatasync" in j: k="fsync"
    elif "wal_checkpoint" in j or "checkpointer" in j: k="checkpoint"
    elif "walFrames" in j or "sqlite3PagerCommitPhaseOne" in j: k="wal frames"
    elif "pread" in j or "filemap_read" in j or "_copy_to_iter" in j or "unixRead" in j: k="page reads (pread)"
    elif "append_history" in j: k="history insert"
    elif "update_instances" in j: k="instances update"
    else: k="other"
    c[k]+=1
print(f"{total} samples, {w} on the SQLite threads")
for k,v in c.most_common(): print(f"{100*v/total:5.1f} % of all  {k}")
