#!/usr/bin/env bash
# Does a long read hold its rate? `spool bench` over 64 TFRecord shards of the
# embedded Fashion-MNIST (converted here, gzip), 8 files read at once, Examples
# parsed on 2 workers, prefetched, repeated for 5 minutes; the rate of each minute
# is compared with the first minute's. Exit 1 when a minute falls more than 10 %
# below it. On demand (not in bench/run_all.sh: it takes the minutes it measures).
#
#   bench/pipeline/sustained_read.sh [--spool build-bench/tools/spool] [--seconds 300]
#                                    [--interval 60] [--keep DIR]
#
# Run it on a quiet machine: another process busy on the cores shows as a slow minute.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
spool="$root/build-bench/tools/spool"
seconds=300
interval=60
keep=""
while (($#)); do
  case "$1" in
    --spool) spool=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "usage: $0 [--spool PATH] [--seconds S] [--interval S] [--keep DIR]" >&2; exit 2 ;;
  esac
done
[[ -x "$spool" ]] || spool="$root/build/tools/spool"
data=/usr/share/datasets/fashion-mnist
shards=${keep:-$(mktemp -d)}
[[ -n "$keep" ]] || trap 'rm -rf "$shards"' EXIT
if [[ ! -e "$shards/dataset_info.json" ]]; then
  "$spool" convert idx --images "$data/train-images-idx3-ubyte.gz" --labels "$data/train-labels-idx1-ubyte.gz" \
    --out "$shards" --shards 64 --format raw --compression gzip --overwrite >/dev/null
fi
echo "== $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
"$spool" bench --source "tfrecord:$shards/train-*.tfrecord" --readers 8 --parse example --map-parallelism 2 \
  --prefetch auto --repeat --seconds "$seconds" --interval "$interval" --json >"$shards/bench.json"
python3 - "$shards/bench.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("pipeline:", r["pipeline"])
first = r["intervals"][0]["elements_per_sec"]
worst = 1.0
for i in r["intervals"]:
    ratio = i["elements_per_sec"] / first
    worst = min(worst, ratio)
    print(f'until {i["seconds"]:6.1f} s: {i["elements_per_sec"]:10.0f} Examples/s  {ratio:5.3f} of the first interval')
print(f'whole run: {r["elements_per_sec"]:.0f} Examples/s over {r["seconds"]:.0f} s; '
      f'peak buffered {r["peak_buffered_bytes"] / 1e6:.1f} MB; worst interval {worst:.3f} of the first')
sys.exit(0 if worst >= 0.9 else 1)
PY
