#!/bin/bash
# Drops the instance table's secondary indexes of bench store's 256-submitter schema as soon as they exist.
while true; do
  psql -h 127.0.0.1 -U postgres -d lpaflow_bench -qAt -c "DROP INDEX IF EXISTS bench_store_256.instances_by_updated, bench_store_256.instances_by_created, bench_store_256.instances_by_state, bench_store_256.instances_by_title, bench_store_256.instances_with_pending_steps, bench_store_256.instances_with_failed_steps, bench_store_256.instances_awaiting_sync" 2>/dev/null >/dev/null
  sleep 0.2
done
