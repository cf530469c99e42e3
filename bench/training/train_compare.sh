#!/bin/sh
# Runs train_compare.py with the peers' environment: libtorch and PyTorch on OpenBLAS's
# OpenMP build (Debian's torch otherwise runs the reference BLAS, plain loops), under
# the first python3 that imports torch (Debian's python3-torch lives in
# /usr/bin/python3's path, which a pyenv python3 earlier in PATH does not see). The
# script sets OMP_NUM_THREADS and OPENBLAS_NUM_THREADS for each thread count it runs.
#   bench/training/train_compare.sh [BUILD_DIR] [extra train_compare.py flags]   (default: build-bench, as bench/run_all.sh builds it)
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build-bench}
[ $# -gt 0 ] && shift
export LD_LIBRARY_PATH="/usr/lib/$(gcc -dumpmachine)/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
python=python3
for candidate in python3 /usr/bin/python3; do
  if "$candidate" -c 'import torch' 2>/dev/null; then python=$candidate; break; fi
done
exec "$python" "$here/train_compare.py" --bench "$build/bench/bench_training" --spool "$build/tools/spool" \
  --python "$python" "$@"
