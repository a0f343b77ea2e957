#!/bin/bash
# cpu_split.sh SECONDS: cores used by postgres processes, lp-final, and the whole machine (idle share) over SECONDS
tick=$(getconf CLK_TCK)
snap() {
  pg=0; lp=0
  for p in /proc/[0-9]*; do
    c=$(cat $p/comm 2>/dev/null) || continue
    read -a f < $p/stat 2>/dev/null || continue
    t=$(( f[13] + f[14] ))
    case "$c" in postgres|python*) pg=$((pg+t));; lp-final) lp=$((lp+t));; esac
  done
  read -a s < /proc/stat
  idle=$(( s[4] + s[5] )); tot=0; for v in "${s[@]:1}"; do tot=$((tot+v)); done
  echo "$pg $lp $idle $tot"
}
read pg0 lp0 i0 t0 < <(snap); sleep $1; read pg1 lp1 i1 t1 < <(snap)
awk -v pg=$((pg1-pg0)) -v lp=$((lp1-lp0)) -v i=$((i1-i0)) -v t=$((t1-t0)) -v s=$1 -v k=$tick 'BEGIN{printf "postgres %.2f cores, lpaflow %.2f cores, machine idle %.0f%%\n", pg/k/s, lp/k/s, 100*i/t}'
