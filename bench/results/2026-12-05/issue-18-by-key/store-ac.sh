#!/bin/bash
# Interleaved bench store on PostgreSQL: A (session start) and B (writer joins by key), three runs each.
URL=postgres://postgres@127.0.0.1:5432/lpaflow_bench
for i in 1 2 3; do
  for b in a c; do
    /tmp/lp-s7$b bench store --submitters 64,256 --database-url $URL --json /tmp/s7/store-pg-s7$b-$i.json 2>/dev/null | grep transitions_per_s | sed "s/^/s7$b-$i /"
  done
done
