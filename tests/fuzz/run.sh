#!/usr/bin/env bash
# Fuzzes every target in tests/fuzz/ for SECONDS each, SPOOL_FUZZ_JOBS (default: nproc)
# at a time, and prints what each did:
#   tests/fuzz/run.sh 600                         # after a change to a parser
#   SPOOL_FUZZ_JOBS=2 nice -n 10 tests/fuzz/run.sh 600
# Builds the targets with clang in build-fuzz/ (configured as .ci/fuzz does, when it
# is not configured yet). Each target grows its own work corpus, as the ctest tests do
# (build-fuzz/tests/fuzz/corpus/NAME, seeded from tests/fuzz/corpus/NAME); logs and
# crash artifacts of this run go to build-fuzz/fuzz-run/. Exit status 1 when a target
# crashed (a crash, leak, timeout or out-of-memory leaves an artifact), 2 for bad usage.
set -euo pipefail

if [[ $# -ne 1 || ! $1 =~ ^[0-9]+$ ]]; then
  echo "usage: tests/fuzz/run.sh SECONDS" >&2
  exit 2
fi
seconds=$1
source "$(dirname "$0")/../../.ci/common.sh"  # cd to the repository; sanitizer_flags
command -v clang++ >/dev/null || { echo "run.sh: clang++ not found" >&2; exit 2; }

if [[ ! -f build-fuzz/CMakeCache.txt ]]; then
  # As .ci/fuzz configures it.
  cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo "${sanitizer_flags[@]}" \
    -DSPOOL_BUILD_BENCH=OFF -DSPOOL_BUILD_TOOLS=OFF
fi
cmake --build build-fuzz -j"$jobs" --target spool_fuzz_targets

out=build-fuzz/fuzz-run
rm -rf "$out"
mkdir -p "$out/artifacts"
targets=()
for source in tests/fuzz/*_fuzz.cc; do
  name=$(basename "$source" _fuzz.cc)
  targets+=("$name")
done

fuzz_one() {
  local name=$1 corpus=build-fuzz/tests/fuzz/corpus/$1 start
  mkdir -p "$corpus"
  start=$(date +%s)
  build-fuzz/tests/fuzz/"fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/$name-" "$corpus" "tests/fuzz/corpus/$name" >"$out/$name.log" 2>&1 || true
  echo $(($(date +%s) - start)) >"$out/$name.seconds"
}

running=0
for name in "${targets[@]}"; do
  if ((running >= ${SPOOL_FUZZ_JOBS:-$jobs})); then
    wait -n
    running=$((running - 1))
  fi
  fuzz_one "$name" &
  running=$((running + 1))
done
wait

stat_of() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }
crashed=0
printf '%-18s %8s %14s %14s %8s\n' target seconds executed "peak RSS MB" crashes
for name in "${targets[@]}"; do
  log=$out/$name.log
  crashes=$(find "$out/artifacts" -name "$name-*" | wc -l)
  ((crashes == 0)) || crashed=1
  printf '%-18s %8s %14s %14s %8s\n' "$name" "$(cat "$out/$name.seconds")" \
    "$(stat_of number_of_executed_units "$log")" "$(stat_of peak_rss_mb "$log")" "$crashes"
done
if ((crashed)); then
  echo "crash artifacts in $out/artifacts/ (logs beside them)"
  exit 1
fi
