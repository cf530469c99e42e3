#!/usr/bin/env bash
# The node interop test: Spool and @roboflow/tfrecords read each other's files and
# must agree on every payload (sha256) and on each Example's feature kinds and counts.
#
#   run_node_interop.sh INTEROP_RECORDS SPOOL_CLI SOURCE_DIR WORK_DIR
#
# Exits 77 (ctest SKIP_RETURN_CODE) with a "SKIP:" line when node, npm or the package
# cannot be had, so a machine without them skips instead of failing.
set -euo pipefail

records_tool=$1 spool=$2 source_dir=$3 work=$4

skip() { echo "SKIP: $*"; exit 77; }
command -v node >/dev/null || skip "node is not installed"
command -v npm >/dev/null || skip "npm is not installed"

mkdir -p "$work"
cp "$source_dir/package.json" "$source_dir/package-lock.json" "$source_dir/tfrecords_node.js" "$work/"
cd "$work"
# Reinstall only when the lock file changed: npm ci wipes node_modules every time.
if ! cmp -s package-lock.json node_modules/.spool-installed-lock 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1 ||
    skip "npm ci failed (registry unreachable?), see $work/npm.log"
  cp package-lock.json node_modules/.spool-installed-lock
fi
[[ -f node_modules/@roboflow/tfrecords/package.json ]] || skip "@roboflow/tfrecords did not install"

check_same() {  # what-for expected actual
  if ! diff -u "$2" "$3"; then
    echo "FAIL: $1"
    exit 1
  fi
  echo "ok: $1 ($(wc -l <"$2") records)"
}

# Spool writes, node reads: plain and gzip (node's zlib undoes the compression).
for compression in none gzip zlib; do
  "$records_tool" write "spool_$compression.tfrecord" "$compression" >"spool_$compression.txt"
  node tfrecords_node.js read "spool_$compression.tfrecord" "$compression" >"node_read_$compression.txt"
  check_same "node reads what Spool wrote (compression $compression)" \
    "spool_$compression.txt" "node_read_$compression.txt"
done

# Node writes, Spool reads, through the library and through the command.
node tfrecords_node.js write node.tfrecord >node_wrote.txt
"$records_tool" read node.tfrecord none >spool_read.txt
check_same "Spool reads what node wrote" node_wrote.txt spool_read.txt
"$spool" verify node.tfrecord
"$spool" verify --compression none node.tfrecord >/dev/null
echo "node interop: all checks passed"
