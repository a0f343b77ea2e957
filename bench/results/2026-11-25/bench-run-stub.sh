#!/usr/bin/env bash
# The Python-stub half of the benchmarks: waits until the stub answers before starting.
set -uo pipefail
B=/work/target-bench/release/lpaflow
R=/work/bench-results
cd /work/bench-tree
export NO_COLOR=1 LPAFLOW_LOG=warn LPAFLOW_STUB_VENV=/work/stub-venv
run() {
  local name=$1; shift
  echo "== $(date -u +%H:%M:%S) $name: $*" >> $R/progress.log
  /usr/bin/time -v "$B" "$@" --json "$R/$name.json" > "$R/$name.txt" 2> "$R/$name.err"
  echo "   exit $? $(grep 'Maximum resident' $R/$name.err | tr -s ' ')" >> $R/progress.log
}
bench/run-opg-stub.sh --port 8089 > $R/stub.log 2>&1 &
STUB=$!
for _ in $(seq 1 120); do curl -sf http://127.0.0.1:8089/admin/stats > /dev/null && break; sleep 1; done
curl -sf http://127.0.0.1:8089/admin/stats > /dev/null || { echo "stub did not start" >> $R/progress.log; exit 1; }
for i in 1 2 3; do run "stub-throughput-c8-$i" bench workload --scenarios throughput --concurrency 8 --opg-url http://127.0.0.1:8089; done
for i in 1 2 3; do run "stub-throughput-c64-$i" bench workload --scenarios throughput --concurrency 64 --opg-url http://127.0.0.1:8089; done
for i in 1 2 3; do run "stub-recovery-$i" bench workload --scenarios recovery --opg-url http://127.0.0.1:8089; done
i=0; for f in 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 0.5; do i=$((i+1)); run "stub-crash-$i-kf$f" bench workload --scenarios crash --kill-frac $f --opg-url http://127.0.0.1:8089; done
pkill -f opg_stub.py
echo "== $(date -u +%H:%M:%S) STUB DONE" >> $R/progress.log
