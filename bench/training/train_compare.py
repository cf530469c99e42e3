#!/usr/bin/env python3
"""Spool's training throughput and peak memory beside libtorch C++ and PyTorch.

Throughput: whole training steps (forward + backward + Adam lr 1e-3, sparse categorical
cross-entropy from logits, the batch's accuracy counted) on in-memory Fashion-MNIST
batches (the first 8192 training images scaled to f32 [0, 1]), examples/s, for
  mlp  Flatten-Dense(128, relu)-Dense(10), batch 32
  cnn  Conv2D(32, 3x3, relu)-MaxPool2-Conv2D(64, 3x3, relu)-MaxPool2-Flatten-
       Dense(128, relu)-Dense(10), batch 64
on 1 and 2 threads. Spool and libtorch come from build/bench/bench_training
(train_step/<model>/threads:<T>, both in the same iterations); PyTorch runs the same
loop in a child of this script, with glibc malloc set as the `spool` command and
bench_training set it for themselves (spool::tune_malloc_for_streaming, given here
through GLIBC_TUNABLES), and once more with glibc's defaults ("pytorch dflt"): with the
defaults every large tensor is a fresh mmap whose pages fault in on first touch, which
costs most on a virtual machine. Each configuration is measured --repeat times, the
three peers back to back each time, and the best of each counts. With --epochs, the
`spool train --epochs 1` figure (metrics.jsonl's examples_per_sec: the whole input
pipeline included) is added. Goals: mlp batch 32 >= 2x libtorch, cnn batch 64 >= 1.2x.

Peak memory: /usr/bin/time -v of `spool train --model cnn --epochs 1 --threads 2`
beside this script's --one-epoch-cnn (the same run in PyTorch: the IDX files read into
u8 tensors, each shuffled batch scaled to f32 as it is drawn, one epoch of the CNN with
Adam, then the test set evaluated), Maximum resident set size of each; PyTorch with
glibc's defaults (as a user runs it) and with Spool's malloc settings. Goal: Spool's
below PyTorch's. --json FILE also writes the figures for bench/make_results.py
(bench/run_all.sh passes it).

    bench/training/train_compare.sh build-rel        # sets the peers' environment
    python3 bench/training/train_compare.py --bench build/bench/bench_training \\
        --spool build/tools/spool

Peers need OpenBLAS (Debian's torch otherwise runs the reference BLAS) and their thread
count: the script gives each child LD_LIBRARY_PATH (train_compare.sh puts the
openblas-openmp folder first), OMP_NUM_THREADS and OPENBLAS_NUM_THREADS = the threads,
and the code calls at::set_num_threads / torch.set_num_threads. Peers that are absent
are skipped with a message.
"""
import argparse
import gzip
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

BATCH = {"mlp": 32, "cnn": 64}
EXAMPLES = 8192  # kept in memory, as bench_training does
BLOCK = 2048  # examples per timed block
MIN_SECONDS = {"mlp": 2.0, "cnn": 3.0}
# spool::tune_malloc_for_streaming's settings (tensor/malloc_tuning.cc) as glibc tunables.
SPOOL_MALLOC = "glibc.malloc.trim_threshold=268435456:glibc.malloc.top_pad=67108864:glibc.malloc.mmap_threshold=33554432"


def read_idx(path, limit=None):
    """An IDX u8 file as a torch.uint8 tensor, decompressed straight into its buffer."""
    import torch
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        (magic,) = struct.unpack(">I", f.read(4))
        if magic >> 8 != 0x08:
            raise SystemExit(f"{path}: magic {magic:#010x} is not an IDX u8 file")
        dims = list(struct.unpack(">" + "I" * (magic & 0xFF), f.read(4 * (magic & 0xFF))))
        if limit is not None:
            dims[0] = min(dims[0], limit)
        size = 1
        for d in dims:
            size *= d
        buf = bytearray(size)
        view, got = memoryview(buf), 0
        while got < size:
            n = f.readinto(view[got:])
            if not n:
                raise SystemExit(f"{path}: {got} bytes of data, the header says {size}")
            got += n
    return torch.frombuffer(buf, dtype=torch.uint8).reshape(dims)


def torch_model(kind):
    import torch.nn as nn
    layers = []
    if kind == "cnn":
        layers += [nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2)]
    layers += [nn.Flatten(), nn.Linear(64 * 5 * 5 if kind == "cnn" else 28 * 28, 128), nn.ReLU(), nn.Linear(128, 10)]
    return nn.Sequential(*layers)


def torch_step(model, opt, x, y):
    import torch.nn.functional as F
    opt.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    opt.step()
    correct = (logits.argmax(1) == y).sum().item()
    return loss.item(), correct


def pytorch_steps(data_dir, kind, threads):
    """PyTorch's examples/s over blocks of BLOCK examples, as bench_training times libtorch."""
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    batch = BATCH[kind]
    images = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"), EXAMPLES).float().div_(255)
    labels = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"), EXAMPLES).long()
    images = images.unsqueeze(1) if kind == "cnn" else images
    xs, ys = list(images.split(batch)), list(labels.split(batch))
    model = torch_model(kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    steps, state = BLOCK // batch, {"next": 0}

    def block():
        for _ in range(steps):
            i = state["next"]
            torch_step(model, opt, xs[i], ys[i])
            state["next"] = (i + 1) % len(xs)

    block()  # warm-up
    seconds, blocks = 0.0, 0
    while seconds < MIN_SECONDS[kind]:
        start = time.perf_counter()
        block()
        seconds += time.perf_counter() - start
        blocks += 1
    return blocks * BLOCK / seconds


def one_epoch_cnn(data_dir, threads):
    """spool train --model cnn --epochs 1 in PyTorch, for /usr/bin/time -v."""
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    train_x = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))
    train_y = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz")).long()
    test_x = read_idx(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"))
    test_y = read_idx(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz")).long()
    model = torch_model("cnn")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    start = time.perf_counter()
    order = torch.randperm(len(train_y))
    for i in range(0, len(order), BATCH["cnn"]):
        idx = order[i:i + BATCH["cnn"]]
        torch_step(model, opt, train_x[idx].unsqueeze(1).float().div_(255), train_y[idx])
    seconds = time.perf_counter() - start
    correct = 0
    with torch.no_grad():
        for i in range(0, len(test_y), 256):
            logits = model(test_x[i:i + 256].unsqueeze(1).float().div_(255))
            correct += (logits.argmax(1) == test_y[i:i + 256]).sum().item()
    print(f"{len(train_y) / seconds:.0f} examples/s; test accuracy: {correct / len(test_y):.4f}")


def peer_env(threads, spool_malloc=False):
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = str(threads)
    if spool_malloc:
        env["GLIBC_TUNABLES"] = SPOOL_MALLOC
    return env


def bench_training(bench, threads):
    """{model: (spool, libtorch or None, graph)} examples/s from one bench_training run: Spool's
    eager steps, libtorch's, and Spool's graph-mode steps (spool::function), same iterations."""
    out = subprocess.run([bench, f"--benchmark_filter=train_step/(mlp|cnn)/threads:{threads}/",
                          "--benchmark_format=json"], check=True, capture_output=True, text=True,
                         env=peer_env(threads)).stdout
    rates = {}
    for row in json.loads(out)["benchmarks"]:
        kind = row["name"].split("/")[1]
        if "error_message" in row:
            raise SystemExit(f"bench_training {row['name']}: {row['error_message']}")
        rates[kind] = (row["spool_ex_per_s"], row.get("libtorch_ex_per_s"), row.get("graph_ex_per_s"))
    return rates


def pytorch_rate(python, kind, threads, data_dir, spool_malloc):
    out = subprocess.run([python, os.path.abspath(__file__), "--pytorch-steps", kind, "--threads", str(threads),
                          "--data", data_dir], check=True, capture_output=True, text=True,
                         env=peer_env(threads, spool_malloc)).stdout
    return float(out.strip())


def spool_train_epoch(spool, kind, threads, data_dir):
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([spool, "train", "--model", kind, "--epochs", "1", "--threads", str(threads), "--data", data_dir,
                        "--out", out], check=True, capture_output=True, text=True)
        with open(os.path.join(out, "metrics.jsonl")) as f:
            return json.loads(f.readline())["examples_per_sec"]


def max_rss_kib(cmd, env=None):
    """Maximum resident set size (KiB) of cmd under /usr/bin/time -v, and its wall time."""
    run = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({run.returncode}):\n{run.stderr[-2000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", run.stderr)
    return int(rss.group(1)), wall.group(1) if wall else "?"


def have_torch(python):
    return subprocess.run([python, "-c", "import torch"], capture_output=True).returncode == 0


def fmt(rate):
    return f"{rate:10,.0f}" if rate else f"{'-':>10}"


def ratio(a, b):
    return f"{a / b:7.2f}x" if a and b else f"{'-':>8}"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default=os.path.join(root, "build", "bench", "bench_training"))
    parser.add_argument("--spool", default=os.path.join(root, "build", "tools", "spool"))
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist", help="the IDX .gz files")
    parser.add_argument("--python", default=sys.executable, help="the python3 that runs the PyTorch side")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every configuration; the best counts")
    parser.add_argument("--threads", default="1,2", help="thread counts to measure")
    parser.add_argument("--epochs", action="store_true", help="add spool train --epochs 1 (whole pipeline)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument("--pytorch-steps", choices=sorted(BATCH), help=argparse.SUPPRESS)
    parser.add_argument("--one-epoch-cnn", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the figures to this file (bench/make_results.py reads it)")
    args = parser.parse_args()
    thread_counts = [int(t) for t in args.threads.split(",")]
    result = {"repeat": args.repeat, "rows": []}

    def finish(code=0):
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=1)
        return code

    if args.pytorch_steps:
        print(pytorch_steps(args.data, args.pytorch_steps, thread_counts[0]))
        return 0
    if args.one_epoch_cnn:
        one_epoch_cnn(args.data, thread_counts[0])
        return 0

    if not os.path.exists(os.path.join(args.data, "train-images-idx3-ubyte.gz")):
        result["skipped"] = f"no Fashion-MNIST in {args.data}"
        print("skipped: " + result["skipped"])
        return finish()
    for path, target in ((args.bench, "bench_training"), (args.spool, "spool_cli")):
        if not os.access(path, os.X_OK):
            print(f"train_compare: no {path} (build {target}, or pass --{target.split('_')[0]})", file=sys.stderr)
            return 1
    if "openblas" not in os.environ.get("LD_LIBRARY_PATH", ""):
        print("note: LD_LIBRARY_PATH names no openblas folder: the peers may run on the reference BLAS "
              "(train_compare.sh sets it)")
    torch_ok = have_torch(args.python)
    if not torch_ok:
        result["pytorch_skipped"] = f"{args.python} cannot import torch (Debian: python3-torch; .ci/install-peers)"
        print(f"PyTorch: skipped ({result['pytorch_skipped']})")

    best = {}  # (kind, threads) -> {peer: rate}
    for r in range(args.repeat):
        for threads in thread_counts:
            rates = bench_training(args.bench, threads)
            for kind, (spool, libtorch, graph) in rates.items():
                got = {"spool": spool, "libtorch": libtorch, "graph": graph}
                if torch_ok:
                    got["pytorch"] = pytorch_rate(args.python, kind, threads, args.data, True)
                    got["pytorch_dflt"] = pytorch_rate(args.python, kind, threads, args.data, False)
                if args.epochs:
                    got["spool_train"] = spool_train_epoch(args.spool, kind, threads, args.data)
                cell = best.setdefault((kind, threads), {})
                for peer, rate in got.items():
                    if rate:
                        cell[peer] = max(cell.get(peer, 0), rate)
        print(f"round {r + 1}/{args.repeat} done, load {os.getloadavg()[0]:.2f}", file=sys.stderr)
    if best and not any("libtorch" in cell for cell in best.values()):
        result["libtorch_skipped"] = "bench_training was built without libtorch (Debian: libtorch-dev; .ci/install-peers)"
        print(f"libtorch: skipped ({result['libtorch_skipped']})")
    for (kind, threads), cell in sorted(best.items()):
        result["rows"].append({"model": kind, "batch": BATCH[kind], "threads": threads, **cell})

    print(f"\nexamples/s, best of {args.repeat} rounds (load average {os.getloadavg()[0]:.2f}):")
    header = (f"{'model':5} {'batch':>5} {'thr':>3} {'spool':>10} {'libtorch':>10} {'pytorch':>10} "
              f"{'vs libtorch':>11} {'vs pytorch':>10} {'pytorch dflt':>12} {'graph':>10} {'vs eager':>8}")
    if args.epochs:
        header += f" {'spool train':>11}"
    print(header)
    for (kind, threads), cell in sorted(best.items()):
        s, lt, pt = cell.get("spool"), cell.get("libtorch"), cell.get("pytorch")
        line = (f"{kind:5} {BATCH[kind]:5} {threads:3} {fmt(s)} {fmt(lt)} {fmt(pt)} {ratio(s, lt):>11} "
                f"{ratio(s, pt):>10} {fmt(cell.get('pytorch_dflt')):>12} {fmt(cell.get('graph'))} "
                f"{ratio(cell.get('graph'), s):>8}")
        if args.epochs:
            line += f" {fmt(cell.get('spool_train')):>11}"
        print(line)
    for kind, goal in (("mlp", 2.0), ("cnn", 1.2)):
        pairs = [(t, c["spool"] / c["libtorch"]) for (k, t), c in sorted(best.items()) if k == kind and c.get("libtorch")]
        if pairs:
            shown = ", ".join(f"{r:.2f}x on {t} thread{'s' if t > 1 else ''}" for t, r in pairs)
            met = all(r >= goal for _, r in pairs)
            print(f"goal {kind} batch {BATCH[kind]} >= {goal}x libtorch: {shown} -> {'met' if met else 'NOT met'}")

    if args.no_memory:
        return finish()
    if not os.access("/usr/bin/time", os.X_OK):
        result["memory"] = {"skipped": "no /usr/bin/time (Debian: time)"}
        print("peak memory: skipped (no /usr/bin/time; Debian: time)")
        return finish()
    spool_cmd = [args.spool, "train", "--model", "cnn", "--epochs", "1", "--threads", "2", "--data", args.data]
    spool_rss, spool_wall = max_rss_kib(spool_cmd)
    print(f"\npeak memory, one Fashion-MNIST CNN epoch on 2 threads (/usr/bin/time -v, Maximum resident set size):")
    print(f"  spool   {spool_rss / 1024:8.1f} MiB  ({spool_wall} wall)  {' '.join(spool_cmd)}")
    result["memory"] = {"spool_mib": spool_rss / 1024}
    if not torch_ok:
        print("  pytorch skipped (no torch)")
        return finish()
    torch_cmd = [args.python, os.path.abspath(__file__), "--one-epoch-cnn", "--threads", "2", "--data", args.data]
    torch_rss, torch_wall = max_rss_kib(torch_cmd, env=peer_env(2))
    print(f"  pytorch {torch_rss / 1024:8.1f} MiB  ({torch_wall} wall)  {' '.join(torch_cmd)}")
    tuned_rss, tuned_wall = max_rss_kib(torch_cmd, env=peer_env(2, spool_malloc=True))
    print(f"  pytorch {tuned_rss / 1024:8.1f} MiB  ({tuned_wall} wall)  the same with GLIBC_TUNABLES={SPOOL_MALLOC}")
    print(f"goal spool below pytorch: {spool_rss / torch_rss:.2f}x of PyTorch's -> "
          f"{'met' if spool_rss < torch_rss else 'NOT met'}")
    result["memory"].update(pytorch_mib=torch_rss / 1024, pytorch_spool_malloc_mib=tuned_rss / 1024)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
