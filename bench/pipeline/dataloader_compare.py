#!/usr/bin/env python3
"""Spool's input pipeline beside torch.utils.data.DataLoader on the same work.

In-memory Fashion-MNIST (the training set, read once from the IDX .gz files), each
example normalised on its own (u8 -> float32, x / 255, (x - 0.2860) / 0.3530),
shuffled, batched by 32; one epoch, examples/s. DataLoader runs with num_workers 0
and 2; Spool runs `spool bench` with the same stages, inline and with 2 map workers,
in the same script run. Goal: Spool >= 30x DataLoader. --json FILE also writes the
figures for bench/make_results.py (bench/run_all.sh passes it).

    bench/pipeline/dataloader_compare.sh build-rel      # sets the peer's environment
    python3 bench/pipeline/dataloader_compare.py --spool build/tools/spool

DataLoader's shuffle=True permutes the whole epoch; Spool matches it with a buffer of
60000 (the whole epoch: a uniform shuffle). Loading the files is outside both timings;
DataLoader's worker start-up and Spool's iterator start-up are inside them. Both sides
time epochs of a running process: DataLoader's best of --epochs epochs in this script,
and for Spool, in each of --epochs `spool bench` runs, the epoch after a first one
(`--repeat --warmup` one epoch: the shuffle buffer is filled again for the timed epoch,
but in memory the process has already touched; a fresh process's first epoch also pays
its first page faults, which a timed epoch after a warm-up one leaves out).
Without torch, Spool's side is still measured and the peer reported as skipped; exits 0
with "skipped: ..." when the data is absent.
"""
import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
import time

MEAN, STD = 0.2860, 0.3530
BATCH = 32


def read_idx(path):
    """An IDX file (u8 data) as a torch.uint8 tensor of its dims."""
    import torch
    with gzip.open(path, "rb") as f:
        data = f.read()
    (magic,) = struct.unpack(">I", data[:4])
    if magic >> 8 != 0x08:
        raise SystemExit(f"{path}: magic {magic:#010x} is not an IDX u8 file")
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)


def torch_examples_per_s(images, labels, workers, epochs):
    import torch

    class FashionMnist(torch.utils.data.Dataset):
        def __len__(self):
            return len(labels)

        def __getitem__(self, i):
            return images[i].float().div_(255).sub_(MEAN).div_(STD), labels[i]

    loader = torch.utils.data.DataLoader(FashionMnist(), batch_size=BATCH, shuffle=True, num_workers=workers,
                                         generator=torch.Generator().manual_seed(42))
    best = 0.0
    for _ in range(epochs):
        start, seen = time.perf_counter(), 0
        for x, _y in loader:
            seen += x.shape[0]
        best = max(best, seen / (time.perf_counter() - start))
        assert seen == len(labels), seen
    return best


def spool_examples_per_s(spool, images_path, labels_path, parallelism, shuffle, epochs):
    epoch_batches = str((60000 + BATCH - 1) // BATCH)
    cmd = [spool, "bench", "--source", f"idx:{images_path},{labels_path}", "--normalize", f"{MEAN},{STD}",
           "--map-parallelism", str(parallelism), "--shuffle", str(shuffle), "--batch", str(BATCH),
           "--repeat", "--warmup", epoch_batches, "--steps", epoch_batches, "--json"]
    best = 0.0
    for _ in range(epochs):
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        result = json.loads(out)
        assert result["elements"] == 60000, result
        best = max(best, result["elements_per_sec"])
    return best, " ".join(cmd[1:])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spool", default=os.path.join(root, "build", "tools", "spool"), help="the spool binary")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist", help="folder with the IDX .gz files")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per configuration; the best counts")
    parser.add_argument("--shuffle", type=int, default=60000, help="Spool's shuffle buffer")
    parser.add_argument("--json", help="also write the figures to this file (bench/make_results.py reads it)")
    args = parser.parse_args()
    result = {"epochs": args.epochs, "batch": BATCH}

    def finish(code=0):
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=1)
        return code

    images_path = os.path.join(args.data, "train-images-idx3-ubyte.gz")
    labels_path = os.path.join(args.data, "train-labels-idx1-ubyte.gz")
    if not (os.path.exists(images_path) and os.path.exists(labels_path)):
        result["skipped"] = f"no Fashion-MNIST in {args.data}"
        print("skipped: " + result["skipped"])
        return finish()
    if not os.access(args.spool, os.X_OK):
        print(f"dataloader_compare: no spool binary at {args.spool} (build spool_cli, or pass --spool)",
              file=sys.stderr)
        return 1

    # Spool's side needs no torch: measured first, so a machine without the peer still
    # gets its figures (and the peer's absence is stated beside them).
    print(f"Fashion-MNIST train (60000 examples): normalise each, shuffle, batch {BATCH}; best of {args.epochs} epochs")
    spool_rates = {}
    for parallelism in (1, 2):
        rate, cmd = spool_examples_per_s(args.spool, images_path, labels_path, parallelism, args.shuffle,
                                         args.epochs)
        spool_rates[parallelism] = rate
        print(f"  spool map-parallelism {parallelism}: {rate:12,.0f} examples/s   (spool {cmd})")
    result["spool"] = {str(p): r for p, r in spool_rates.items()}
    try:
        import torch
    except ImportError:
        result["torch_skipped"] = "torch not installed (Debian: python3-torch; .ci/install-peers)"
        print("  torch DataLoader: skipped, " + result["torch_skipped"])
        return finish()

    images, labels = read_idx(images_path), read_idx(labels_path).long()
    print(f"  torch {torch.__version__}, {torch.get_num_threads()} intra-op threads")
    result["torch_version"] = torch.__version__
    torch_rates = {}
    for workers in (0, 2):
        torch_rates[workers] = torch_examples_per_s(images, labels, workers, args.epochs)
        print(f"  torch DataLoader num_workers={workers}: {torch_rates[workers]:12,.0f} examples/s")
    result["torch"] = {str(w): r for w, r in torch_rates.items()}
    for parallelism, workers in ((1, 0), (2, 2)):
        print(f"  ratio spool parallelism {parallelism} / DataLoader num_workers={workers}: "
              f"{spool_rates[parallelism] / torch_rates[workers]:.1f}x")
    best = max(spool_rates.values()) / max(torch_rates.values())
    print(f"  best vs best: {best:.1f}x (goal >= 30x)")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
