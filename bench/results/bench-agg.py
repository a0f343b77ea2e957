#!/usr/bin/env python3
"""Min / median / max of every metric over the runs of each group (a file name without its -N run suffix).

Usage: bench-agg.py FOLDER"""
import json, glob, os, re, statistics, sys
R = sys.argv[1] if len(sys.argv) > 1 else sys.exit("usage: bench-agg.py FOLDER")
groups = {}
for f in sorted(glob.glob(f"{R}/*.json")):
    name = os.path.basename(f)[:-5]
    group = re.sub(r"-\d+(-kf[0-9.]+)?$", "", name)
    try:
        rec = json.load(open(f))
    except Exception as e:
        print("bad", f, e, file=sys.stderr); continue
    for k, v in rec["metrics"].items():
        if isinstance(v, (int, float)):
            groups.setdefault(group, {}).setdefault(k, []).append(v)
for g, ms in groups.items():
    print(f"## {g}")
    for k, vs in ms.items():
        fmt = lambda x: f"{x:.3f}" if isinstance(x, float) else str(x)
        print(f"  {k:60s} n={len(vs)} min={fmt(min(vs))} med={fmt(statistics.median(vs))} max={fmt(max(vs))}")
