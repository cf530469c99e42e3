#!/bin/sh
# Runs dataloader_compare.py with the peer's environment: torch on OpenBLAS's OpenMP
# build with one thread, as the other peer comparisons run it, under the first
# python3 that imports torch (Debian's python3-torch lives in /usr/bin/python3's path,
# which a pyenv python3 earlier in PATH does not see).
#   bench/pipeline/dataloader_compare.sh [BUILD_DIR] [extra dataloader_compare.py flags]   (default: build-bench, as bench/run_all.sh builds it)
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build-bench}
[ $# -gt 0 ] && shift
export LD_LIBRARY_PATH="/usr/lib/$(gcc -dumpmachine)/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export OMP_NUM_THREADS=1
python=python3
for candidate in python3 /usr/bin/python3; do
  if "$candidate" -c 'import torch' 2>/dev/null; then python=$candidate; break; fi
done
exec "$python" "$here/dataloader_compare.py" --spool "$build/tools/spool" "$@"
