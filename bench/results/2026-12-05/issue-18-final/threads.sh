#!/bin/bash
# threads.sh PID: every second, per thread name: CPU ms and runqueue-wait ms in that second
PID=$1
declare -A prev_run prev_wait
while kill -0 $PID 2>/dev/null; do
  out=""
  declare -A run wait
  run=(); wait=()
  for t in /proc/$PID/task/*; do
    n=$(cat $t/comm 2>/dev/null) || continue
    read r w s < $t/schedstat 2>/dev/null || continue
    id=${t##*/}
    if [[ -n "${prev_run[$id]}" ]]; then
      run[$n]=$(( ${run[$n]:-0} + (r - prev_run[$id]) ))
      wait[$n]=$(( ${wait[$n]:-0} + (w - prev_wait[$id]) ))
    fi
    prev_run[$id]=$r; prev_wait[$id]=$w
  done
  for n in "${!run[@]}"; do out+="$n=$(( run[$n]/1000000 ))/$(( wait[$n]/1000000 )) "; done
  echo "$(date +%S) $out"
  sleep 1
done
