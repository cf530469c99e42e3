#!/usr/bin/env bash
# Which malloc should the pipeline run on? Runs the small-element pipeline benchmarks
# (bench_pipeline: the Fashion-MNIST loader against a hand-written loop, a chain of
# cheap maps, TFRecord parse-and-batch against the raw read) under glibc malloc tuned
# as the `spool` command tunes it (tuned_main.cc), under mimalloc and under jemalloc
# from Debian, rounds alternating so that a slow minute of the machine hits every
# allocator alike. Two ways to put an allocator in place:
#   bench/pipeline/allocator_compare.sh [--build-dir build-bench] [--rounds 3]
# runs one build configured with -DSPOOL_ALLOCATOR=glibc and preloads the others
# (LD_PRELOAD of libmimalloc.so.2, libjemalloc.so.2; one not installed is left out);
#   bench/pipeline/allocator_compare.sh --build glibc=DIR --build mimalloc=DIR ...
# runs each allocator's own build (-DSPOOL_ALLOCATOR=NAME), as they ship.
#
# Prints, per benchmark and allocator, the median of the pipeline's own throughput and
# of its ratio to the in-process reference, each also as a ratio to glibc's (the first
# allocator's). The throughput decides; the reference runs on the same malloc, so the
# ratio shows what the pipeline gains beyond what plain code gains. Run it on a quiet
# machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-bench"
rounds=3
lib=/usr/lib/$(gcc -dumpmachine)
declare -A preload=([glibc]="" [mimalloc]="$lib/libmimalloc.so.2" [jemalloc]="$lib/libjemalloc.so.2")
declare -A builds=()
allocators=()
while (($#)); do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --build) allocators+=("${2%%=*}"); builds[${2%%=*}]=${2#*=}; preload[${2%%=*}]=""; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "usage: $0 [--build-dir DIR | --build ALLOCATOR=DIR ...] [--rounds N]" >&2; exit 2 ;;
  esac
done
if ((${#allocators[@]} == 0)); then
  allocators=(glibc)
  for a in mimalloc jemalloc; do [[ -e ${preload[$a]} ]] && allocators+=("$a"); done
  for a in "${allocators[@]}"; do builds[$a]=$build; done
  grep -q '^SPOOL_ALLOCATOR:STRING=glibc$' "$build/CMakeCache.txt" ||
    { echo "$build is not a -DSPOOL_ALLOCATOR=glibc build: its 'glibc' column would not be glibc" >&2; exit 2; }
fi
filter='fashion_mnist/shuffle:10000|map_chain/tensor_slices/stats:1|tfrecord_parse_batch/parallelism:(0|2)'
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "== $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores; allocators: ${allocators[*]}"
for ((r = 0; r < rounds; r++)); do
  for a in "${allocators[@]}"; do
    LD_PRELOAD=${preload[$a]} "${builds[$a]}/bench/bench_pipeline" --benchmark_filter="$filter" --benchmark_min_time=1 \
      --benchmark_format=json >"$out/$a.$r.json" 2>/dev/null
  done
done
python3 - "$out" "$rounds" "${allocators[@]}" <<'PY'
import json, statistics, sys
out, rounds, allocators = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
# The pipeline's own throughput, and its ratio to the in-process reference.
def figures(b):
    rate = [k for k in ("examples_per_s", "pipeline_records_per_s", "items_per_second") if k in b][:1]
    ratio = [k for k in ("pipeline_vs_loop", "pipeline_vs_read") if k in b][:1]
    return [(k, b[k]) for k in rate + ratio]
table = {}
for a in allocators:
    for r in range(rounds):
        for b in json.load(open(f"{out}/{a}.{r}.json"))["benchmarks"]:
            for key, value in figures(b):
                table.setdefault((b["name"], key), {}).setdefault(a, []).append(value)
print(f'{"benchmark":54} {"figure":22} ' + " ".join(f"{a:>18}" for a in allocators))
for (name, key), by in table.items():
    base = statistics.median(by[allocators[0]])
    cells = []
    for a in allocators:
        m = statistics.median(by[a])
        cells.append(f"{m:10.4g} ({m / base:4.2f}x)")
    print(f"{name:54} {key:22} " + " ".join(f"{c:>18}" for c in cells))
PY
