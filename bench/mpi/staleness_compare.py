#!/usr/bin/env python3
"""Synchronous against asynchronous training with a straggler, side by side.

Trains the Fashion-MNIST CNN with W workers on this machine (default 2, the two cores
shared among them), worker 1 slowed F times (spool train --slow-worker 1:F), under
each policy:
  sync          MirroredStrategy, W replicas, global batch W x B (each replica B)
  async         parameter servers, each worker B per update
  bounded s     parameter servers, no update staler than s
  aware         parameter servers, learning rate / (1 + staleness)
Every run sees the same number of examples (E epochs of the training set). Prints a
Markdown table: examples/s over the run, test accuracy at the end, and the staleness
histogram of the parameter-server runs (updates by versions stale).

  bench/mpi/staleness_compare.py [--spool build/tools/spool] [--epochs 2] [--slow 2]
                                 [--batch 64] [--workers 2] [--mpi]
--mpi also runs the asynchronous policy as mpirun ranks (coordinator, 1 server, 2 workers).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def run(cmd, out_dir, env=None):
    started = subprocess.run(cmd + ["--out", out_dir], capture_output=True, text=True, env=env)
    if started.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{started.stderr}\n{started.stdout}")
    rows = [json.loads(line) for line in open(os.path.join(out_dir, "metrics.jsonl"))]
    accuracy = float(started.stdout.strip().splitlines()[-1].split(":")[1])
    examples = 60000 * len(rows)
    train_seconds = sum(60000 / r["examples_per_sec"] for r in rows)
    histogram = {}
    for r in rows:
        for key, value in r.items():
            if key.startswith("staleness_") and key not in ("staleness_mean", "staleness_max") and value:
                s = int(key[len("staleness_"):])
                histogram[s] = histogram.get(s, 0) + int(value)
    return examples / train_seconds, accuracy, histogram


def describe(histogram):
    if not histogram:
        return "-"
    total = sum(histogram.values())
    mean = sum(s * c for s, c in histogram.items()) / total
    parts = " ".join(f"{s}:{c}" for s, c in sorted(histogram.items()))
    return f"mean {mean:.2f}, max {max(histogram)} ({parts})"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--spool", default="build/tools/spool")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--slow", type=float, default=2.0)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--mpi", action="store_true")
    a = p.parse_args()
    slow = [] if a.slow <= 1 else ["--slow-worker", f"1:{a.slow:g}"]
    base = [a.spool, "train", "--model", "cnn", "--epochs", str(a.epochs), "--seed", "42", "--threads", "2"]
    w = str(a.workers)
    ps = base + ["--batch-size", str(a.batch), "--strategy", "parameter-server", "--workers", w] + slow
    runs = [
        (f"sync (Mirrored, {w} replicas)", base + ["--batch-size", str(a.workers * a.batch), "--replicas", w] + slow),
        ("async", ps),
        ("bounded staleness 1", ps + ["--max-staleness", "1"]),
        ("bounded staleness 4", ps + ["--max-staleness", "4"]),
        ("async, staleness-aware step", ps + ["--staleness-aware"]),
    ]
    if a.mpi:
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                   OMPI_MCA_btl_vader_single_copy_mechanism="none")
        mpi = ["mpirun", "--oversubscribe", "-np", str(a.workers + 2), a.spool, "train", "--model", "cnn", "--epochs",
               str(a.epochs), "--seed", "42", "--batch-size", str(a.batch), "--strategy", "parameter-server"] + slow
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    straggler = f"worker 1 {a.slow:g}x slower" if a.slow > 1 else "no straggler"
    print(f"CPU: {cpu}, {os.cpu_count()} cores; CNN, {a.workers} workers, {a.epochs} epochs of 60000 examples, "
          f"batch {a.batch} per worker, {straggler}\n")
    print("| policy | examples/s | test accuracy | staleness of the updates |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, cmd) in enumerate(runs):
            rate, acc, hist = run(cmd, os.path.join(tmp, str(i)))
            print(f"| {name} | {rate:.0f} | {acc:.4f} | {describe(hist)} |", flush=True)
        if a.mpi:
            rate, acc, hist = run(mpi, os.path.join(tmp, "mpi"), env)
            print(f"| async, mpirun -np {a.workers + 2} (1 server) | {rate:.0f} | {acc:.4f} | {describe(hist)} |",
                  flush=True)


if __name__ == "__main__":
    main()
