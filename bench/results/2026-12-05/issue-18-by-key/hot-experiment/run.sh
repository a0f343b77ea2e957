#!/bin/bash
URL=postgres://postgres@127.0.0.1:5432/lpaflow_bench
stats() { psql -h 127.0.0.1 -U postgres -d lpaflow_bench -qAt -c "select n_tup_upd, n_tup_hot_upd from pg_stat_user_tables where schemaname='bench_store_256' and relname='instances'"; psql -h 127.0.0.1 -U postgres -d lpaflow_bench -qAt -c "select count(*) from pg_indexes where schemaname='bench_store_256' and tablename='instances'"; }
for i in 1 2 3; do
  /tmp/lp-s7a bench store --submitters 256 --database-url $URL --json /tmp/hot/A-$i.json 2>/dev/null | grep -E "transitions_per_s|per_s" ; echo "A-$i $(stats | tr '\n' ' ')"
  /tmp/dropper.sh & D=$!
  /tmp/lp-s7a bench store --submitters 256 --database-url $URL --json /tmp/hot/B-$i.json 2>/dev/null | grep -E "transitions_per_s|per_s"; kill $D; wait $D 2>/dev/null; sleep 1.5; echo "B-$i $(stats | tr '\n' ' ')"
done
