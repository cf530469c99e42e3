#!/usr/bin/env bash
# Which malloc should the pipeline run on? Runs the small-element pipeline benchmarks
# (bench_pipeline: the Fashion-MNIST loader against a hand-written loop, a chain of
# cheap maps, TFRecord parse-and-batch against the raw read) under glibc malloc tuned
# as the `spool` command tunes it (tuned_main.cc), and under mimalloc and jemalloc from
# Debian (libmimalloc2.0, libjemalloc2) put in front of it with LD_PRELOAD, rounds
# alternating so that a slow minute of the machine hits every allocator alike.
#
#   bench/pipeline/allocator_compare.sh [--build-dir build-bench] [--rounds 3]
#
# Prints each benchmark's median figure per allocator and its ratio to glibc's. An
# allocator that is not installed is left out. Run it on a quiet machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-bench"
rounds=3
while (($#)); do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "usage: $0 [--build-dir DIR] [--rounds N]" >&2; exit 2 ;;
  esac
done
lib=/usr/lib/$(gcc -dumpmachine)
declare -A preload=([glibc]="" [mimalloc]="$lib/libmimalloc.so.2" [jemalloc]="$lib/libjemalloc.so.2")
allocators=(glibc)
for a in mimalloc jemalloc; do [[ -e ${preload[$a]} ]] && allocators+=("$a"); done
filter='fashion_mnist/shuffle:10000|map_chain/tensor_slices/stats:1|tfrecord_parse_batch/parallelism:(0|2)'
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "== $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores; allocators: ${allocators[*]}"
for ((r = 0; r < rounds; r++)); do
  for a in "${allocators[@]}"; do
    LD_PRELOAD=${preload[$a]} "$build/bench/bench_pipeline" --benchmark_filter="$filter" --benchmark_min_time=1 \
      --benchmark_format=json >"$out/$a.$r.json" 2>/dev/null
  done
done
python3 - "$out" "$rounds" "${allocators[@]}" <<'PY'
import json, statistics, sys
out, rounds, allocators = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
# The figure each benchmark is judged by: a ratio to its in-process reference where it
# has one, else items per second.
def figure(b):
    for key in ("pipeline_vs_loop", "pipeline_vs_read"):
        if key in b:
            return key, b[key]
    return "items_per_second", b.get("items_per_second", 0.0)
table = {}
for a in allocators:
    for r in range(rounds):
        for b in json.load(open(f"{out}/{a}.{r}.json"))["benchmarks"]:
            key, value = figure(b)
            table.setdefault((b["name"], key), {}).setdefault(a, []).append(value)
print(f'{"benchmark":58} {"figure":18} ' + " ".join(f"{a:>18}" for a in allocators))
for (name, key), by in table.items():
    base = statistics.median(by["glibc"])
    cells = []
    for a in allocators:
        m = statistics.median(by[a])
        cells.append(f"{m:10.4g} ({m / base:4.2f}x)")
    print(f"{name:58} {key:18} " + " ".join(f"{c:>18}" for c in cells))
PY
