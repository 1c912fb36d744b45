#!/usr/bin/env bash
# The benchmark: generates a synthetic tenant once (bench-data/, git-ignored), then measures
# `sessionscope stats` wall time and peak RSS on its Purview CSV, JSON Lines and JSON array
# (Management API) forms, the TUI's load, memory per event and frame time, and risk scoring
# at 1M and 10M events on stores built in memory.
# Usage: bench/run.sh [EVENTS]  (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
events="${1:-1000000}"
data=bench-data
mkdir -p "$data"
cargo build --release --quiet --workspace --bins
for format in purview-csv json-lines api-json; do
  case "$format" in purview-csv) ext=csv ;; json-lines) ext=jsonl ;; api-json) ext=json ;; esac
  file="$data/tenant-$events.$ext"
  if [ ! -s "$file" ]; then
    echo "generating $file ..."
    ./target/release/gen-tenant scale "$events" "$format" "$file"
  fi
done
signins="$data/signins-$((events / 5)).jsonl"
if [ ! -s "$signins" ]; then
  echo "generating $signins ..."
  ./target/release/gen-tenant signins "$events" "$((events / 5))" "$signins"
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
for ext in csv jsonl json; do
  file="$data/tenant-$events.$ext"
  # Warm cache, the same for every run and every program: the page cache keeps a file as the
  # program that first read it left it. read() (cat, a download, a copy) caches it in large
  # folios; faults on a memory map (sessionscope reading a cold file) cache it in 4 KiB pages,
  # which every later run then maps 5-15% slower. So drop it and read it back with cat.
  dd if="$file" iflag=nocache count=0 status=none 2>/dev/null ||
    echo "(dd cannot drop $file from the page cache here: measured as it is cached)"
  cat "$file" > /dev/null
  size=$(du -h "$file" | cut -f1)
  floor=$( { /usr/bin/time -f %e cat "$file" > /dev/null; } 2>&1 )
  echo "== $file ($size; cat to /dev/null: ${floor} s)"
  for run in 1 2 3 4 5; do
    /usr/bin/time -f "stats run $run: %e s wall, %M KB peak RSS, %U s user, %S s sys" \
      ./target/release/sessionscope stats "$file" > /dev/null
  done
  if python3 -c "import duckdb" 2>/dev/null; then
    /usr/bin/time -f "duckdb: %e s wall, %M KB peak RSS" python3 bench/duckdb_baseline.py "$file"
  else
    echo "(DuckDB baseline skipped: pip install duckdb to run it)"
  fi
done
echo "== JSON Lines with $((events / 5)) Entra sign-ins beside it ($(du -h "$signins" | cut -f1))"
cat "$signins" > /dev/null
for run in 1 2 3; do
  /usr/bin/time -f "stats with sign-ins run $run: %e s wall, %M KB peak RSS" \
    ./target/release/sessionscope stats "$data/tenant-$events.jsonl" "$signins" > /dev/null
done
echo "== TUI on $data/tenant-$events.jsonl"
/usr/bin/time -f "peak RSS %M KB" ./target/release/bench "$data/tenant-$events.jsonl"
echo "== risk scoring on stores built in memory (1M and 10M events)"
./target/release/bench --scoring 1000000 10000000
for n in 1000000 10000000; do
  echo "== the investigator's keys on a store of $n events built in memory"
  ./target/release/bench --tui "$n"
done
./target/release/bench --many-ips 1000000
