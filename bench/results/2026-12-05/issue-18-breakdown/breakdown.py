#!/usr/bin/env python3
"""Shares of a `bench api` transition's CPU by part of the path, from `perf script -F comm,ip,sym` of a profile
recorded with `--call-graph dwarf` during the `Prefer: return=minimal` phase (see README.md).

Each sample goes to the first bucket whose rule matches its stack (leaf first), so buckets do not overlap."""
import collections
import sys


def stacks(path):
    comm, frames = None, None
    for line in open(path):
        if not line.strip():
            continue
        if not line.startswith(("\t", " ")):
            if frames is not None:
                yield comm, frames
            comm, frames = line.strip(), []
            continue
        parts = line.strip().split(None, 1)
        frames.append(parts[1] if len(parts) > 1 else "?")
    if frames is not None:
        yield comm, frames


def bucket(comm, s):
    j = "\n".join(s)
    has = lambda *keys: any(k in j for k in keys)  # noqa: E731
    if comm.startswith("lpaflow-sqlite"):
        if has("fsync", "fdatasync"):
            return "SQLite writer thread: fsync"
        if has("walFrames", "sqlite3PagerCommitPhaseOne"):
            return "SQLite writer thread: WAL frames of the commit"
        return "SQLite writer thread: the statements"
    # The command's own frames: under the service's call, or (the tenth session's `spawn` and `cuts` builds only)
    # on the task the engine ran each command on.
    if has("LpaService::fire_command", "fire_attached::{async_fn#0}::{async_block_env"):
        if has("run_action"):
            if has("to_value"):
                return "handler: the LPA rules, typed data back to JSON (to_value)"
            if has("read_application"):
                return "handler: the LPA rules, the application read and validated"
            return "handler: the LPA rules, the rest (action, refresh, copy)"
        if has("decide_read"):
            return "handler: the interpreter, the rest (decision, changes diffed)"
        if has("prepare::prepare"):
            return "handler: rows prepared (hash chain, state digest, copies)"
        if has("drop_slow", "drop_in_place<lpaflow_engine::cache"):
            return "handler: the LPA kept before freed"
        if has("findable"):
            return "handler: search terms"
        return "handler: the rest"
    if has("hyper_util::client", "reqwest"):
        return "load generator (reqwest)"
    if has("Authenticator::verify"):
        return "JWT check"
    if has("lpaflow_store"):
        return "store on tokio (group commit)"
    if has("hyper::proto", "axum", "lpaflow_api"):
        if has("Handler<(M,T1,T2,T3,T4,T5,T6),S>>::call"):
            return "HTTP: route handler outside the command (answer, freeing the outcome)"
        if has("poll_write", "poll_flush"):
            return "HTTP: socket writes (loopback: the peer's receive path too)"
        if has("poll_read"):
            return "HTTP: socket reads"
        return "HTTP: the rest (middleware, parsing)"
    return "runtime, kernel, unattributed"


counts = collections.Counter(bucket(c, s) for c, s in stacks(sys.argv[1]))
total = sum(counts.values())
print(f"{total} samples")
for name, n in counts.most_common():
    print(f"{100 * n / total:5.1f} %  {name}")
