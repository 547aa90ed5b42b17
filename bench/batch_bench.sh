#!/bin/sh
# batch_bench.sh -- the batch and CSV benchmarks (README: "Batch scoring
# and the run store"). Run from the project root:
#   sh bench/batch_bench.sh            # both parts, default sizes
#   BENCH_PART=a sh bench/batch_bench.sh   # only the batch part
# Builds build-bench (Release) unless TS_BINARY names a binary. Needs awk,
# cc and /usr/bin/time (GNU time, Debian package `time`) for peak RSS.
set -eu
cd "$(dirname "$0")/.."
part=${BENCH_PART:-ab}
work=${BENCH_DIR:-/tmp/threatscore-bench}
jobs=${BENCH_JOBS:-2}
n_scen=${BENCH_SCENARIOS:-1000}
if [ -z "${TS_BINARY:-}" ]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
  cmake --build build-bench -j"$(nproc)" >/dev/null
  TS_BINARY=build-bench/threatscore
fi
bin=$TS_BINARY
lib=$(dirname "$bin")/engine/libthreatscore.a
mkdir -p "$work"
timev() { # timev LABEL CMD...: wall seconds, user, peak RSS (MB)
  label=$1; shift
  /usr/bin/time -f "%e %U %M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || {
    cat "$work/stderr.txt" >&2; exit 1; }
  read -r wall user rss < "$work/time.txt"
  printf '%-34s wall %6.2f s  user %6.2f s  peak RSS %6.1f MB\n' "$label" "$wall" "$user" "$(echo "$rss" | awk '{print $1/1024}')"
}

if echo "$part" | grep -q a; then
  echo "== (a) $n_scen generated scenarios (5 countries x 40 indicators), batch -j $jobs, $(nproc) CPUs"
  rm -rf "$work/scenarios"; sh bench/batch_gen.sh scenarios "$work/scenarios" "$n_scen"
  for round in 1 2 3; do
    rm -f "$work/batch.db" "$work/batch.db-wal" "$work/batch.db-shm"
    "$bin" batch "$work/scenarios" --db "$work/batch.db" -q -j "$jobs" --timing 2>&1 | sed 's/^threatscore: //'
  done
  echo "-- again, unchanged (every run recognised and reused):"
  "$bin" batch "$work/scenarios" --db "$work/batch.db" -q -j "$jobs" 2>&1 | sed 's/^threatscore: //'
  echo "-- the SQLite yardstick: the same scores and inputs as schema 7's rows, inserted by a bare loop, one transaction a run:"
  cc -O2 -o "$work/sqlite_floor" bench/batch_sqlite_floor.c -lsqlite3
  rm -f "$work/floor.db"*; "$work/sqlite_floor" "$work/floor.db" "$n_scen"
fi

if echo "$part" | grep -q b; then
  echo "== (b) wide CSV: score --taxonomy T --data D.csv --format csv -o /dev/null"
  cc -O2 -std=c11 -D_XOPEN_SOURCE=700 -Iengine bench/batch_csvread.c "$lib" -lconfig -lsqlite3 -lm -lpthread \
    -o "$work/csvread"
  for size in "10000 500" "2500 500" "5000 500" "10000 125" "10000 250"; do
    set -- $size
    d="$work/csv_$1_$2"
    [ -f "$d/wide.csv" ] || sh bench/batch_gen.sh csv "$d" "$1" "$2"
    echo "-- $1 units x $2 indicators ($(du -m "$d/wide.csv" | cut -f1) MB CSV, value matrix $(($1 * $2 * 8 / 1000000)) MB)"
    timev "read the CSV (baseline)" "$work/csvread" "$d/wide.cfg" "$d/wide.csv"
    timev "score, table output" "$bin" score --taxonomy "$d/wide.cfg" --data "$d/wide.csv" -o /dev/null
    timev "score, long CSV output" "$bin" score --taxonomy "$d/wide.cfg" --data "$d/wide.csv" --format csv -o /dev/null
    timev "score --lean, long CSV output" "$bin" score --taxonomy "$d/wide.cfg" --data "$d/wide.csv" --format csv --lean -o /dev/null
  done
fi
