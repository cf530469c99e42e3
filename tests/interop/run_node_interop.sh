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
# spool convert writes, node reads: the shards of a converted IDX pair (3 images of
# 2x2, made here byte by byte) parse as tf.train.Example records with every key.
printf '\x00\x00\x08\x03\x00\x00\x00\x03\x00\x00\x00\x02\x00\x00\x00\x02' >convert-images-idx3-ubyte
printf '\x00\x40\x80\xff\x01\x02\x03\x04\x10\x20\x30\x40' >>convert-images-idx3-ubyte
printf '\x00\x00\x08\x01\x00\x00\x00\x03\x07\x00\x09' >convert-labels-idx1-ubyte
rm -rf convert_out
"$spool" convert idx --images convert-images-idx3-ubyte --labels convert-labels-idx1-ubyte --out convert_out \
  --shards 2 --compression gzip --format png >/dev/null
for shard in convert_out/train-00000-of-00002.tfrecord convert_out/train-00001-of-00002.tfrecord; do
  "$records_tool" read "$shard" gzip >spool_convert.txt
  node tfrecords_node.js read "$shard" gzip >node_convert.txt
  check_same "node reads what spool convert wrote ($shard)" spool_convert.txt node_convert.txt
  keys="image/channels:int64:1,image/class/label:int64:1,image/class/text:bytes:1,image/encoded:bytes:1"
  keys="$keys,image/filename:bytes:1,image/format:bytes:1,image/height:int64:1,image/width:int64:1"
  if grep -v -q -- " $keys\$" node_convert.txt; then
    echo "FAIL: a record of $shard lacks the image/* features: $(cat node_convert.txt)"
    exit 1
  fi
done
echo "node interop: all checks passed"
