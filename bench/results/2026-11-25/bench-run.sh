#!/usr/bin/env bash
# Runs every benchmark of BENCHMARKS.md in sequence on the release binary, writing text and JSON results to
# /work/bench-results. Nothing else should run on the machine meanwhile.
set -uo pipefail
B=/work/target-bench/release/lpaflow
R=/work/bench-results
PG=postgres://postgres@127.0.0.1:5432/lpaflow_bench
cd /work/bench-tree
export NO_COLOR=1 LPAFLOW_LOG=warn
run() { # name, args...
  local name=$1; shift
  echo "== $(date -u +%H:%M:%S) $name: $*" >> $R/progress.log
  /usr/bin/time -v "$B" "$@" --json "$R/$name.json" > "$R/$name.txt" 2> "$R/$name.err"
  echo "   exit $? $(grep 'Maximum resident' $R/$name.err | tr -s ' ')" >> $R/progress.log
}
psql -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS lpaflow_bench" postgres > /dev/null
psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE lpaflow_bench" postgres > /dev/null
for i in 1 2 3; do run "throughput-c8-$i" bench workload --scenarios throughput --concurrency 8; done
for i in 1 2 3; do run "throughput-c64-$i" bench workload --scenarios throughput --concurrency 64; done
for i in 1 2 3; do run "pg-throughput-c64-$i" bench workload --scenarios throughput --concurrency 64 --database-url $PG; done
run "rss-n100000-c64" bench workload --scenarios throughput --concurrency 64 --n 100000 --stub-capacity-s 0
for i in 1 2 3; do run "store-sqlite-$i" bench store; done
for i in 1 2 3; do run "store-pg-$i" bench store --database-url $PG; done
for i in 1 2 3; do run "api-$i" bench api; done
for i in 1 2 3; do run "lpa-$i" bench lpa; done
for i in 1 2 3; do run "scaleout-pg-$i" bench scaleout --database-url $PG; done
for i in 1 2 3; do run "lpa-scaleout-pg-$i" bench lpa --processes 1,2,4 --database-url $PG; done
echo "== $(date -u +%H:%M:%S) ALL DONE" >> $R/progress.log
