#!/usr/bin/env python3
"""horses-vs-humans through Spool beside a torchvision/PIL DataLoader on the same work.

The training folder (300x300 PNG, two class folders): decode -> resize to 150x150
(bilinear) -> float32 in [0, 1] -> batches of 32, with 1 and 2 workers; images/s.
Spool runs `spool bench --source images:DIR --decode --resize 150x150 --batch 32
--map-parallelism N`; torchvision runs ImageFolder with Resize((150, 150)) + ToTensor()
in a DataLoader(batch_size=32, num_workers=N). The decode-only ceiling is
`spool bench --decode --batch 32 --map-parallelism N` (PNG decode to u8 and batch,
nothing else) in the same run. Goals: Spool >= 1.5x torchvision, and Spool with
resize >= 90 % of the decode-only ceiling.

Both sides do one untimed warm-up epoch (worker start-up, page cache), then EPOCHS
timed epochs without shuffling; each configuration runs REPEATS times, interleaved,
and the median is reported (the host is shared).

    bench/image/hvh_compare.sh build-rel              # sets the peer's environment
    bench/image/hvh_compare.sh build-rel --bench-image build-rel/bench/bench_image
    (the second form takes the Spool side from BM_HorsesVsHumans when tools/ is not built)
    python3 bench/image/hvh_compare.py --spool build/tools/spool

Without torchvision or PIL, Spool's side is still measured and the peer reported as
skipped; exits 0 with "skipped: ..." when the data or both Spool programs are absent.
--json FILE also writes the figures for bench/make_results.py (bench/run_all.sh passes it).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

BATCH = 32
SIZE = 150


def spool_images_per_s(spool, folder, workers, epochs, n_files, resize):
    steps_per_epoch = n_files // BATCH
    args = [spool, "bench", "--source", "images:" + folder, "--decode", "--batch", str(BATCH),
            "--map-parallelism", str(workers), "--repeat", "--warmup", str(steps_per_epoch),
            "--steps", str(steps_per_epoch * epochs), "--prefetch", "2", "--json"]
    if resize:
        args[5:5] = ["--resize", f"{SIZE}x{SIZE}"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["elements_per_sec"]


def bench_image_figures(bench_image, workers):
    """(images/s with resize, decode-only images/s) from bench_image's BM_HorsesVsHumans."""
    out = subprocess.run([bench_image, f"--benchmark_filter=BM_HorsesVsHumans/{workers}/",
                          "--benchmark_format=json"], check=True, capture_output=True, text=True).stdout
    row = json.loads(out)["benchmarks"][0]
    return row["images_per_s"], row["ceiling_images_per_s"]


def torch_images_per_s(folder, workers, epochs):
    import torch
    import torchvision
    from torchvision import transforms

    torch.set_num_threads(1)
    ds = torchvision.datasets.ImageFolder(
        folder, transform=transforms.Compose([transforms.Resize((SIZE, SIZE)), transforms.ToTensor()]))
    loader = torch.utils.data.DataLoader(ds, batch_size=BATCH, shuffle=False, num_workers=workers,
                                         persistent_workers=True, prefetch_factor=2)
    for _ in loader:  # warm-up epoch: worker start-up and page cache
        pass
    images = 0
    start = time.perf_counter()
    for _ in range(epochs):
        for x, _y in loader:
            images += x.shape[0]
    return images / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spool", default="build/tools/spool")
    parser.add_argument("--bench-image", default=None,
                        help="bench/bench_image, used for the Spool side when --spool is not built")
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--data", default=os.path.join(here, "..", "..", "..", "shared", "data", "horse-or-human",
                                                       "train"))
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", help="also write the figures to this file (bench/make_results.py reads it)")
    args = parser.parse_args()
    result = {"epochs": args.epochs, "repeats": args.repeats, "workers": {}}

    def finish(reason=None):
        if reason:
            result["skipped"] = reason
            print("skipped: " + reason)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=1)
        return 0

    if not os.path.exists(args.spool) and not (args.bench_image and os.path.exists(args.bench_image)):
        return finish(f"neither {args.spool} nor --bench-image is built")
    if not os.path.isdir(args.data):
        return finish(f"{args.data} is absent")
    try:
        import torch  # noqa: F401
        import torchvision  # noqa: F401
        import PIL  # noqa: F401
        have_torch = True
    except ImportError as e:
        have_torch = False
        result["torch_skipped"] = f"{e} (Debian: python3-torchvision python3-pil; .ci/install-peers)"
        print(f"torchvision: skipped, {result['torch_skipped']}")
    n_files = sum(len(files) for _, _, files in os.walk(args.data))
    print(f"horses-vs-humans {args.data}: {n_files} files, batch {BATCH}, {SIZE}x{SIZE} f32, "
          f"{args.epochs} timed epochs, median of {args.repeats}; load: {os.getloadavg()}")
    for workers in args.workers:
        runs = {"spool": [], "ceiling": [], "torch": []}
        for _ in range(args.repeats):
            if os.path.exists(args.spool):
                runs["spool"].append(spool_images_per_s(args.spool, args.data, workers, args.epochs, n_files, True))
                runs["ceiling"].append(spool_images_per_s(args.spool, args.data, workers, args.epochs, n_files, False))
            else:
                spool, ceiling = bench_image_figures(args.bench_image, workers)
                runs["spool"].append(spool)
                runs["ceiling"].append(ceiling)
            if have_torch:
                runs["torch"].append(torch_images_per_s(args.data, workers, args.epochs))
        med = {k: statistics.median(v) for k, v in runs.items() if v}
        result["workers"][str(workers)] = med
        line = f"workers {workers}: spool {med['spool']:.0f} images/s, decode-only ceiling {med['ceiling']:.0f}"
        if have_torch:
            line += f", torchvision {med['torch']:.0f}; spool/torchvision {med['spool'] / med['torch']:.2f}x"
        print(line + f", spool/ceiling {100 * med['spool'] / med['ceiling']:.1f} %")
        print("  runs: " + ", ".join(f"{k} {[round(x) for x in v]}" for k, v in runs.items() if v))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
