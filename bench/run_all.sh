#!/usr/bin/env bash
# Builds the benchmark programs, runs them and the peer comparisons, and regenerates
# bench/RESULTS.md from their JSON (bench/make_results.py): one table of ratios, each
# Spool figure beside its peer or reference from the same run, headed by the machine.
#
#   bench/run_all.sh                      # every row at full length, on a quiet machine
#   bench/run_all.sh --quick              # the table's rows from short runs: a few minutes
#   bench/run_all.sh --build-dir build-rel --no-build --out /tmp/RESULTS.md
#
# Options:
#   --build-dir DIR   the build folder (default build-bench/), configured as Release when
#                     it has no CMakeCache.txt yet, reused with its settings otherwise
#                     (configured again, so peers installed since are found)
#   --quick           the benchmarks the table needs, each for --min-time seconds
#                     (default 0.2), one round of each peer comparison, no peak-memory run
#   --min-time S      Google Benchmark's --benchmark_min_time for every program (rows that
#                     set their own MinTime in the code keep it)
#   --no-build        run what DIR already holds
#   --out FILE        where the Markdown goes (default bench/RESULTS.md)
#   -j N, -jN         build jobs (default: the CPU count)
# The JSON lands in DIR/bench-results/. Peers come from .ci/install-peers (OpenBLAS,
# libtorch, PyTorch, torchvision); a missing one leaves its rows saying so. The libtorch
# and PyTorch peers run on OpenBLAS's OpenMP build through LD_LIBRARY_PATH, as the
# bench/*/*_compare.sh scripts set it (Debian's torch falls back to the reference BLAS).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=build-bench
quick=0
min_time=""
do_build=1
out="$root/bench/RESULTS.md"
jobs=$(nproc)
args_seen=("$@")
while (($#)); do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --min-time) min_time=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --out) out=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    -j*) jobs=${1#-j}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_all.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$build" in /*) ;; *) build="$root/$build" ;; esac
if ((quick)) && [ -z "$min_time" ]; then min_time=0.2; fi
results="$build/bench-results"
started=$SECONDS
stamp() { echo "== $* ($((SECONDS - started)) s)"; }

if ((do_build)); then
  settings=()
  if [ ! -f "$build/CMakeCache.txt" ]; then
    settings=(-DCMAKE_BUILD_TYPE=Release -DSPOOL_BUILD_TESTS=OFF -DSPOOL_BUILD_EXAMPLES=OFF)
    command -v ccache >/dev/null 2>&1 && settings+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  stamp "configure $build"
  cmake -S "$root" -B "$build" "${settings[@]}" >/dev/null
  stamp "build"
  cmake --build "$build" -j"$jobs" --target bench_io bench_kernels bench_pipeline bench_training bench_image bench_mpi \
    spool_cli
fi

rm -rf "$results"
mkdir -p "$results"
load_start=$(cut -d' ' -f1 /proc/loadavg)
peer_libs="/usr/lib/$(gcc -dumpmachine)/openblas-openmp"

# run PROGRAM FILTER: one Google Benchmark program, its JSON to bench-results/. Rows set
# their own thread counts (set_num_threads, openblas_set_num_threads, at::set_num_threads).
run() {
  local program=$1 filter=$2 flags=()
  [ -n "$min_time" ] && flags+=(--benchmark_min_time="$min_time")
  stamp "$program $filter"
  LD_LIBRARY_PATH="$peer_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$build/bench/$program" \
    --benchmark_filter="$filter" "${flags[@]}" --benchmark_out="$results/$program.json" --benchmark_out_format=json
}

# peer NAME COMMAND...: a peer comparison script writing NAME.json; a failure (not a
# missing peer, which the scripts report themselves) is recorded for the table, and the
# run goes on.
peer() {
  local name=$1 code=0
  shift
  stamp "$name"
  "$@" --json "$results/$name.json" || code=$?
  if ((code)); then
    echo "{\"skipped\": \"$name exited with status $code (its output is in the run's log)\"}" >"$results/$name.json"
  fi
}

# The training steps run in train_compare.py (below), beside libtorch and PyTorch.
if ((quick)); then
  run bench_io '^(crc32c/(spool|portable|memcpy)/65536$|read/(plain_read|tfrecord/buffered)/4096$|gzip/(tfrecord|tfrecord/whole|zlib_gzread|zlib_inflate|libdeflate_inflate)$|example/(parse/spool|reference/memcpy))'
  run bench_kernels '^(gemm/[a-z]+/(512|mlp_fwd_32x784x128)/|fma_peak|conv2d/[a-z]+/fmnist[12]_[a-z0-9_]+/threads:|elementwise/(memcpy|spool/add_inplace_1M/threads:1))'
  run bench_pipeline '^(map_chain/range/stats:1|tfrecord_parse_batch/parallelism:[02]|parallel_map/spin_rounds/(2000|10000)|fashion_mnist/shuffle:60000/parallelism:1|interleave_tfrecord/parallelism:2)'
  run bench_training '^(bm_step/adam/tape_grads/threads:1|replicas/cnn)'
  run bench_image '^(BM_JpegPaired|BM_HorsesVsHumans/2|folder_pipeline/)'
else
  run bench_io '.'
  run bench_kernels '.'
  run bench_pipeline '.'
  run bench_training '^(bm_step/|replicas/)'
  run bench_image '.'
fi

# Two MPI workers on this machine, one kernel thread each (bench/mpi/mpi_compare.sh).
stamp "bench_mpi (mpirun -np 2)"
root_flag=()
[ "$(id -u)" = 0 ] && root_flag=(--allow-run-as-root)
OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_osc=pt2pt SPOOL_NUM_THREADS=1 \
  mpirun "${root_flag[@]}" --oversubscribe -np 2 "$build/bench/bench_mpi" >"$results/bench_mpi.txt" ||
  echo "bench_mpi failed (status $?)" >&2

if ((quick)); then
  peer train_compare bash "$root/bench/training/train_compare.sh" "$build" --repeat 1 --no-memory
  peer dataloader_compare sh "$root/bench/pipeline/dataloader_compare.sh" "$build" --epochs 1
  peer hvh_compare sh "$root/bench/image/hvh_compare.sh" "$build" --epochs 1 --repeats 1
else
  peer train_compare bash "$root/bench/training/train_compare.sh" "$build"
  peer dataloader_compare sh "$root/bench/pipeline/dataloader_compare.sh" "$build"
  peer hvh_compare sh "$root/bench/image/hvh_compare.sh" "$build"
fi

stamp "bench/RESULTS.md"
python3 "$root/bench/make_results.py" --results "$results" --build-dir "$build" --out "$out" \
  --command "bench/run_all.sh${args_seen[*]:+ ${args_seen[*]}}" --load-start "$load_start" \
  --min-time "$min_time" $( ((quick)) && echo --quick)
stamp "done: $out"
