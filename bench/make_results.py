#!/usr/bin/env python3
"""Writes bench/RESULTS.md from the JSON that bench/run_all.sh collects: one table of
ratios, each Spool figure beside its peer or reference from the same run, headed by
the machine (CPU, ISA, cores), the build and the git commit.

    python3 bench/make_results.py --results build-bench/bench-results --build-dir build-bench

Inputs, all in --results (any may be missing: its rows are then left out, and a peer
that is not installed is named in its rows): the Google Benchmark JSON of bench_io,
bench_kernels, bench_pipeline, bench_training and bench_image, and the --json output of
train_compare.py, dataloader_compare.py and hvh_compare.py, and bench_mpi's output
(bench_mpi.txt). Standard library only.
"""
import argparse
import os
import subprocess

from results_rows import (Bench, fma_peaks, image_rows, io_rows, kernel_rows, loader_rows, pipeline_rows,
                          read_json, read_key_values, replica_rows, training_rows)


def cpu():
    """(first processor's /proc/cpuinfo fields, logical CPUs, physical cores)."""
    info, processors, cores = {}, 0, set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = (x.strip() for x in line.partition(":"))
                if key == "processor":
                    processors += 1
                elif key in ("physical id", "core id"):
                    info[key] = value
                    if key == "core id":
                        cores.add((info.get("physical id"), value))
                elif key not in info:
                    info[key] = value
    except OSError:
        pass
    return info, processors, len(cores) or processors


def amd_generation(info):
    if info.get("vendor_id") != "AuthenticAMD":
        return None
    family, model = int(info.get("cpu family", 0)), int(info.get("model", 0))
    if family == 0x17:
        return "Zen–Zen 2"
    if family == 0x19:
        zen4 = 0x10 <= model < 0x20 or 0x60 <= model < 0x80 or 0xA0 <= model < 0xB0
        return "Zen 4" if zen4 else "Zen 3"
    return "Zen 5" if family == 0x1A else None


def isa(flags):
    have = set(flags.split())
    parts = ["AVX2 + FMA" if {"avx2", "fma"} <= have else "no AVX2"]
    if "avx512f" in have:
        extra = [x.upper() for x in ("bw", "dq", "vl", "vnni", "bf16") if f"avx512{x}" in have or f"avx512_{x}" in have]
        parts.append("AVX-512F" + (f" ({', '.join(extra)})" if extra else ""))
    else:
        parts.append("no AVX-512")
    return ", ".join(parts)


def fma_width(B):
    ymm, zmm = fma_peaks(B)
    if not (ymm and zmm):
        return "not measured (fma_peak did not run, or the CPU has no AVX-512)"
    r = zmm / ymm
    if r >= 1.6:
        return f"full width: the zmm FMA peak is {r:.2f}× the ymm peak (fma_peak)"
    if r <= 1.25:
        return f"split into two 256-bit halves: the zmm FMA peak is {r:.2f}× the ymm peak (fma_peak)"
    return f"unclear: the zmm FMA peak is {r:.2f}× the ymm peak (fma_peak; load blurs it)"


def run(cmd, cwd=None):
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def header(args, B, peers):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    info, processors, cores = cpu()
    gen = amd_generation(info)
    cache = {}
    try:
        with open(os.path.join(args.build_dir, "CMakeCache.txt")) as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                cache[key.split(":")[0]] = value
    except OSError:
        pass
    compiler = run([cache.get("CMAKE_CXX_COMPILER", "c++"), "--version"]).splitlines()
    commit = run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root)
    dirty = [l for l in run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root).splitlines()
             if not l.endswith("bench/RESULTS.md")]
    ctx = next(iter(B.context.values()), {})
    caches = ", ".join(f"L{c['level']}{'d' if c['type'] == 'Data' else ''} "
                       + (f"{c['size'] >> 20} MiB" if c["size"] >= 1 << 20 else f"{c['size'] >> 10} KiB")
                       for c in ctx.get("caches", []) if c.get("type") != "Instruction")
    cpu_line = info.get("model name", "unknown")
    if info.get("cpu family"):
        cpu_line += f" (CPUID family {info['cpu family']}, model {info.get('model')}" + (f": {gen}" if gen else "")
        cpu_line += ", as the hypervisor reports it)" if "hypervisor" in info.get("flags", "") else ")"
    lines = [
        "| machine | |", "|---|---|",
        f"| CPU | {cpu_line} |",
        f"| cores | {processors} logical CPUs, {cores} cores{' (a virtual machine)' if 'hypervisor' in info.get('flags', '') else ''} |",
        f"| ISA | {isa(info.get('flags', ''))} |",
        f"| 512-bit FMAs | {fma_width(B)} |",
    ]
    if caches:
        lines.append(f"| caches | {caches} (per core where private) |")
    lines += [
        f"| build | {cache.get('CMAKE_BUILD_TYPE', '?')}, {compiler[0] if compiler else '?'} |",
        f"| commit | `{commit or '?'}`{' with local changes' if dirty else ''} |",
        f"| peers | {peers} |",
        f"| load average | {args.load_start} at the start, {open('/proc/loadavg').read().split()[0]} at the end |",
    ]
    return lines


WHY = """\
## Why the figures differ between machines
Each ratio sets two programs side by side on the same cores in the same run, so it
survives load better than either figure, but it still depends on the CPU. The SGEMM and
conv2d kernels use 512-bit FMAs where the CPU has AVX-512F: Zen 4 executes each 512-bit
FMA as two 256-bit halves, so its zmm peak equals its ymm peak and the AVX-512 kernels
gain little over the AVX2 ones, while Zen 5 (like Intel's server cores with two 512-bit
FMA units) runs them at full width, twice the ymm rate; the machine table reads which
from the fma_peak rows. Debian 12's OpenBLAS 0.3.21 picks its kernels by CPU model and
runs its Haswell AVX2 kernels on these AMD CPUs (`OPENBLAS_CORETYPE=SKYLAKEX` forces its
AVX-512 ones), so its figure does not follow the vector width. Debian's libtorch and
PyTorch call the reference BLAS unless OpenBLAS's OpenMP build comes first in
`LD_LIBRARY_PATH=/usr/lib/<triplet>/openblas-openmp`, as `.ci/install-peers` installs it
and `run_all.sh` and the `*_compare.sh` scripts set it; without it their rows measure the
reference BLAS. Two-thread rows on a two-vCPU virtual machine depend on whether the
vCPUs are separate physical cores and on what else runs (parallel map's "two plain
threads" figure shows what the machine gave two threads in that run): compare 1-thread
rows across machines. Memory-bound rows (CRC-32C, TFRecord reads, elementwise ops)
follow the memory system and the page cache more than the core.
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", required=True, help="the folder of JSON files run_all.sh wrote")
    parser.add_argument("--build-dir", required=True, help="the build folder (its CMakeCache.txt names the build)")
    parser.add_argument("--out", default="bench/RESULTS.md")
    parser.add_argument("--command", default="bench/run_all.sh", help="the command that ran, quoted in the file")
    parser.add_argument("--load-start", default="?", help="1-minute load average when the run started")
    parser.add_argument("--quick", action="store_true", help="the run was bench/run_all.sh --quick")
    parser.add_argument("--min-time", default="", help="--benchmark_min_time of the run, if set")
    args = parser.parse_args()

    B = Bench(args.results)
    train = read_json(os.path.join(args.results, "train_compare.json"))
    loader = read_json(os.path.join(args.results, "dataloader_compare.json"))
    hvh = read_json(os.path.join(args.results, "hvh_compare.json"))
    mpi = read_key_values(os.path.join(args.results, "bench_mpi.txt"))
    has = {"OpenBLAS": bool(B.names(r"gemm/openblas/.+")),
           "libtorch": bool(B.names(r"conv2d/libtorch/.+")) or any(r.get("libtorch") for r in (train or {}).get("rows", [])),
           "PyTorch": bool((loader or {}).get("torch_version")) or any(r.get("pytorch") for r in (train or {}).get("rows", [])),
           "torchvision": any(m.get("torch") for m in (hvh or {}).get("workers", {}).values())}
    peers = ", ".join(f"{k} {'yes' if v else 'not installed'}" for k, v in has.items())
    if (loader or {}).get("torch_version"):
        peers += f" (torch {loader['torch_version']})"

    rows = [r for section in (io_rows(B), kernel_rows(B), pipeline_rows(B), loader_rows(loader),
                              training_rows(B, train), replica_rows(B, mpi), image_rows(B, hvh)) for r in section]
    out = ["# Benchmark results", "",
           f"Generated by `{args.command}` (`bench/make_results.py` writes this file from the JSON",
           "the benchmark programs and the `bench/*/*_compare.py` scripts leave in",
           "`<build>/bench-results/`); regenerate it rather than editing it:", "",
           "```sh", "bench/run_all.sh            # every benchmark at full length, on a quiet machine",
           "bench/run_all.sh --quick    # the rows below from short runs, a few minutes", "```", ""]
    if args.quick:
        out += [f"**A quick run** (`--quick`: a subset of the rows, each benchmark for "
                f"{args.min_time or 'its default'} s unless the row sets its own time,",
                "one round of each peer comparison, no peak-memory run): the ratios are indicative.", ""]
    try:
        busy = float(args.load_start) > 0.5 * (os.cpu_count() or 1)
    except ValueError:
        busy = False
    if busy:
        out += [f"**Other jobs were running** (load average {args.load_start} at the start on "
                f"{os.cpu_count()} CPUs): they slow both sides of a pair, but not always alike.",
                "Run `bench/run_all.sh` on a quiet machine for figures to quote.", ""]
    out += header(args, B, peers)
    out += ["", "## Spool beside its peer or reference, same run", "",
            "Ratio: Spool's throughput divided by the other's (above 1: Spool is faster), unless the",
            "cell says otherwise. `—`: nothing to compare with.", "",
            "| what | Spool | beside it | ratio | benchmark |", "|---|---|---|---|---|"]
    out += [f"| {' | '.join(r)} |" for r in rows]
    out += ["", WHY]
    with open(args.out, "w") as f:
        f.write("\n".join(out))
    print(f"wrote {args.out}: {len(rows)} rows")


if __name__ == "__main__":
    main()
