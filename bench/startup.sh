#!/usr/bin/env bash
# Start-up of the built executable: its size, the time from exec to the first 200 from /ready
# (embedded first run, embedded restart, PostgreSQL) and the resident memory (VmRSS) once idle.
# usage: bench/startup.sh [binary] [runs]   (needs curl; PostgreSQL on 127.0.0.1:5432, user postgres)
set -euo pipefail
binary=$(realpath "${1:-dist/mystery-match}")
runs=${2:-3}
admin=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
port=0 # set per run
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now_ms() { date +%s%3N; }

# Starts the binary with the given env, prints "<ms to ready> <VmRSS kB after 5 s idle> <CPU ms to
# ready>", stops it. CPU time (user + system) barely depends on what else the machine runs.
measure() {
  local start pid ready rss cpu
  port=$((20000 + RANDOM % 10000)) # below the ephemeral range
  start=$(now_ms)
  env "$@" PORT=$port HOST=127.0.0.1 LOG_REQUESTS=0 "$binary" serve >"$work/log" 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port/ready"; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/log" >&2; exit 1; }
    sleep 0.02
  done
  ready=$(($(now_ms) - start))
  cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$pid/stat")
  sleep 5
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
  kill -TERM "$pid"
  wait "$pid"
  echo "$ready $rss $cpu"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "binary: $binary, $(stat -c %s "$binary") bytes ($(($(stat -c %s "$binary") / 1048576)) MiB), gzip -1: $(gzip -1c "$binary" | wc -c) bytes"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

first=() restart=() pg=() rss_first=() rss_restart=() rss_pg=() cpu_first=() cpu_restart=() cpu_pg=()
for i in $(seq "$runs"); do
  dir="$work/data-$i"
  read -r ms kb cpu < <(measure DATA_DIR="$dir")
  first+=("$ms") rss_first+=("$kb") cpu_first+=("$cpu")
  read -r ms kb cpu < <(measure DATA_DIR="$dir")
  restart+=("$ms") rss_restart+=("$kb") cpu_restart+=("$cpu")
  db="mm_startup_$i"
  PGOPTIONS="-c client_min_messages=warning" psql "$admin" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  read -r ms kb cpu < <(measure DATABASE_URL="${admin%/*}/$db" JWT_SECRET=startup-bench-secret-of-32-characters-x)
  pg+=("$ms") rss_pg+=("$kb") cpu_pg+=("$cpu")
  psql "$admin" -qc "DROP DATABASE $db" >/dev/null
done

# row <label> <ms values> <kB values> <CPU ms values>
row() {
  local ms kb cpu
  ms=$(tr ' ' '\n' <<<"$2" | median)
  kb=$(tr ' ' '\n' <<<"$3" | median)
  cpu=$(tr ' ' '\n' <<<"$4" | median)
  printf '| %s | %s | %s ms | %s ms | %s MiB | %s |\n' "$1" "$runs" "$ms" "$cpu" "$((kb / 1024))" "$2"
}
echo
echo "| mode | runs | start → /ready, wall (median) | CPU until ready (median) | VmRSS idle (median) | each run, wall (ms) |"
echo "|---|---|---|---|---|---|"
row "embedded, first run (initdb + migrations)" "${first[*]}" "${rss_first[*]}" "${cpu_first[*]}"
row "embedded, restart" "${restart[*]}" "${rss_restart[*]}" "${cpu_restart[*]}"
row "PostgreSQL (empty database, migrations)" "${pg[*]}" "${rss_pg[*]}" "${cpu_pg[*]}"
