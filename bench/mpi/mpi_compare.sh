#!/bin/sh
# Runs bench_mpi on K workers of this machine (default 2), one kernel thread each (one-sided
# windows through osc pt2pt: the default osc rdma needs a single-copy mechanism), and
# bench_training's replicas/cnn (Mirrored(2) in one process) for the figure beside it.
#   bench/mpi/mpi_compare.sh [BUILD_DIR] [K]     (default: build-bench, 2)
set -e
build=${1:-build-bench}
workers=${2:-2}
root=""
[ "$(id -u)" = 0 ] && root="--allow-run-as-root"
OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_osc=pt2pt SPOOL_NUM_THREADS=1 \
  mpirun $root --oversubscribe -np "$workers" "$build/bench/bench_mpi"
"$build/bench/bench_training" --benchmark_filter='replicas/cnn'
