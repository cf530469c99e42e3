#!/usr/bin/env python3
"""Writes bench/RESULTS.md from the JSON that bench/run_all.sh collects: one table of
ratios, each Spool figure beside its peer or reference from the same run, headed by
the machine (CPU, ISA, cores), the build and the git commit.

    python3 bench/make_results.py --results build-bench/bench-results --build-dir build-bench

Inputs, all in --results (any may be missing: its rows are then left out, and a peer
that is not installed is named in its rows): the Google Benchmark JSON of bench_io,
bench_kernels, bench_pipeline, bench_training and bench_image, and the --json output of
train_compare.py, dataloader_compare.py and hvh_compare.py. Standard library only.
"""
import argparse
import json
import os
import re
import statistics
import subprocess

INSTALL = ".ci/install-peers"


class Bench:
    """Google Benchmark rows of every program, by name without the /real_time,
    /manual_time and /min_time:... suffixes; repetitions give medians."""

    def __init__(self, results):
        self.rows, self.context = {}, {}
        for program in ("bench_io", "bench_kernels", "bench_pipeline", "bench_training", "bench_image"):
            data = read_json(os.path.join(results, program + ".json"))
            if not data:
                continue
            self.context[program] = data.get("context", {})
            for row in data.get("benchmarks", []):
                if row.get("run_type", "iteration") == "iteration":
                    name = re.sub(r"/(real_time|manual_time|min_time:[0-9.]+|iterations:\d+)", "", row["name"])
                    self.rows.setdefault(name, []).append(row)

    def get(self, name, field):
        rows = self.rows.get(name, [])
        if not rows or any(r.get("error_occurred") for r in rows):
            return None
        values = [r[field] for r in rows if isinstance(r.get(field), (int, float))]
        return statistics.median(values) if values else None

    def per_cpu_second(self, name, field):
        """A rate counter of a 1-thread row per second of CPU time rather than wall time:
        a core's own rate, which other jobs on a shared machine do not dilute."""
        rate, real, cpu = self.get(name, field), self.get(name, "real_time"), self.get(name, "cpu_time")
        return rate * real / cpu if rate and real and cpu else rate

    def error(self, name):
        rows = [r for r in self.rows.get(name, []) if r.get("error_occurred")]
        return rows[0].get("error_message", "error") if rows else None

    def names(self, pattern):
        return [n for n in self.rows if re.fullmatch(pattern, n)]


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def si(x, unit=""):
    """3 significant digits with k / M / G: "1.21 M examples/s", "412 k"."""
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= scale:
            return f"{x / scale:.3g} {prefix} {unit}".strip()
    return f"{x:.3g} {unit}".strip()


def gbps(b):
    return f"{b / 1e9:.3g} GB/s"


def gflops(flops_per_s):
    """Google Benchmark reports the GFLOPS rate counters in FLOP/s."""
    return f"{flops_per_s / 1e9:.0f} GFLOP/s"


def times(r):
    return f"{r:.2f}×"


def ms(seconds):
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def row_time_s(B, name):
    """Seconds per iteration of a row (real or manual time, in its time unit)."""
    rows = B.rows.get(name)
    if not rows or B.get(name, "real_time") is None:
        return None
    unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[rows[0].get("time_unit", "ns")]
    return B.get(name, "real_time") * unit


def peer_missing(what, package):
    """A Python peer the script could not import, or a C++ peer the build did not find."""
    return f"{what}: not installed ({package}; `{INSTALL}`, then rerun)"


def io_rows(B):
    s, m, p = (B.get(f"crc32c/{i}/65536", "bytes_per_second") for i in ("spool", "memcpy", "portable"))
    if s:
        ref = f"memcpy {gbps(m)}" + (f"; portable tables {gbps(p)}" if p else "") if m else "—"
        yield ("CRC-32C of 64 KiB", gbps(s), ref, times(s / m) if m else "—", "bench_io crc32c/*/65536")
    for rec, label in ((4096, "4 KiB"), (102400, "100 KiB")):
        plain = B.get(f"read/plain_read/{rec}", "bytes_per_second")
        for mode in ("buffered", "mmap"):
            t = B.get(f"read/tfrecord/{mode}/{rec}", "bytes_per_second")
            if t and plain:
                what = f"TFRecord read, every CRC checked, {label} records" + (", mmap" if mode == "mmap" else "")
                yield (what, gbps(t), f"plain `read()` {gbps(plain)}", times(t / plain),
                       f"bench_io read/*/{rec}")
    g, z = B.get("gzip/tfrecord", "bytes_per_second"), B.get("gzip/zlib_gzread", "bytes_per_second")
    if g and z:
        yield ("gzip TFRecord read", gbps(g), f"zlib `gzread` {gbps(z)}", times(g / z), "bench_io gzip/*")
    e, m = B.get("example/parse/spool", "items_per_second"), B.get("example/reference/memcpy", "items_per_second")
    if e:
        yield ("tf.train.Example parse `{label, image/encoded}` (784 B)", si(e, "records/s"),
               f"memcpy of the record {si(m, 'records/s')}" if m else "—", times(e / m) if m else "—",
               "bench_io example/*")


def fma_peaks(B):
    return (B.per_cpu_second("fma_peak/threads:1", "GFLOPS"),
            B.per_cpu_second("fma_peak/avx512/threads:1", "GFLOPS"))


def kernel_rows(B):
    ymm, zmm = fma_peaks(B)
    if ymm:
        yield ("FP32 FMA peak of one core (per CPU-second), zmm (AVX-512) vs ymm (AVX2)",
               gflops(zmm) if zmm else B.error("fma_peak/avx512/threads:1") or "—", f"ymm {gflops(ymm)}",
               times(zmm / ymm) if zmm else "—", "bench_kernels fma_peak")
    order = ["256", "512", "1024", "2048", "mlp_fwd_32x784x128", "mlp_dw_784x32x128", "mlp_dx_32x128x784"]
    shapes = sorted({n.split("/")[2] for n in B.names(r"gemm/spool/[^/]+/threads:\d+")},
                    key=lambda s: order.index(s) if s in order else len(order))
    best = 0.0
    for shape in shapes:
        for t in (1, 2):
            s = B.get(f"gemm/spool/{shape}/threads:{t}", "GFLOPS")
            if not s:
                continue
            if t == 1:
                best = max(best, B.per_cpu_second(f"gemm/spool/{shape}/threads:1", "GFLOPS"))
            o = B.get(f"gemm/openblas/{shape}/threads:{t}", "GFLOPS")
            kernel = B.rows[f"gemm/spool/{shape}/threads:{t}"][0].get("label", "")
            what = f"SGEMM {shape + '³' if shape.isdigit() else shape.replace('_', ' ')}, {t} thread{'s' * (t > 1)}"
            yield (what, f"{gflops(s)} ({kernel})" if kernel else gflops(s),
                   f"OpenBLAS {gflops(o)}" if o else peer_missing("OpenBLAS", "libopenblas-dev"),
                   times(s / o) if o else "—", f"bench_kernels gemm/*/{shape}/threads:{t}")
    peak = zmm or ymm
    if best and peak:
        yield ("best 1-thread SGEMM of the FMA peak (per CPU-second)", gflops(best), f"peak {gflops(peak)}",
               f"{100 * best / peak:.0f} %", "bench_kernels gemm, fma_peak")
    for name in sorted(B.names(r"conv2d/spool/.+/threads:\d+")):
        s = row_time_s(B, name)
        if s is None:
            continue
        t = row_time_s(B, name.replace("/spool/", "/libtorch/"))
        shape, rest = name.split("/")[2], name.split("/", 3)[3]
        what = f"conv2d {shape}, {'forward' if '/fwd/' in name else 'forward + both backward'}, {rest.split(':')[1]} thr."
        yield (what, ms(s), f"libtorch {ms(t)}" if t else peer_missing("libtorch", "libtorch-dev"),
               times(t / s) if t else "—", f"bench_kernels {name}")
    m = B.get("elementwise/memcpy/1M", "bytes_per_second")
    for name, what in (("elementwise/spool/add_inplace_1M/threads:1", "a += b, 1M f32, 1 thread"),
                       ("elementwise/spool/add_1M/threads:1", "c = a + b (new tensor), 1M f32, 1 thread"),
                       ("reduce/spool/sum_1M/threads:1", "sum of 1M f32, 1 thread")):
        s = B.get(name, "bytes_per_second")
        if s and m:
            yield (what, gbps(s), f"memcpy {gbps(m)}", times(s / m), f"bench_kernels {name}")


def pipeline_rows(B):
    for name in sorted(B.names(r"map_chain/.+")):
        stage, bare = B.get(name, "ns_per_element_per_stage"), B.get(name, "bare_ns_per_element")
        if stage is not None and bare:
            source = "range" if "/range/" in name else "tensor slices"
            stats = "" if name.endswith("stats:1") else ", collect_stats(false)"
            yield (f"a map stage (identity) over {source}{stats}", f"{stage:.0f} ns per element",
                   f"the bare source {bare:.0f} ns per element", f"{stage / bare:.2f}× the source",
                   f"bench_pipeline {name}")
    for name in sorted(B.names(r"tfrecord_parse_batch/parallelism:\d+")):
        p, read = B.get(name, "pipeline_records_per_s"), B.get(name, "read_records_per_s")
        if p and read:
            par = name.rsplit(":", 1)[1]
            what = ("TFRecord → fused `parse_example_batch(256)`" if par == "0" else
                    f"TFRecord → `map(parse_example)` on {par} thread{'s' * (par != '1')} → batch(256)")
            yield (what, si(p, "records/s"), f"`TFRecordReader::next()` loop {si(read, 'records/s')}",
                   times(p / read), f"bench_pipeline {name}")
    for name in sorted(B.names(r"parallel_map/spin_rounds/\d+"), key=lambda n: int(n.rsplit("/", 1)[1])):
        us, one, two = (B.get(name, f) for f in ("us_per_element", "elements_per_s_1", "elements_per_s_2"))
        raw, speedup = B.get(name, "raw_threads_2_vs_1"), B.get(name, "speedup_2_vs_1")
        if speedup:
            yield (f"parallel map, ~{us:.2g} µs per element: 2 workers vs inline", si(two, "elements/s"),
                   f"inline {si(one, 'elements/s')}; two plain threads scale {raw:.2f}×", times(speedup),
                   f"bench_pipeline {name}")
    for name in sorted(B.names(r"fashion_mnist/.+")):
        p, loop = B.get(name, "examples_per_s"), B.get(name, "loop_examples_per_s")
        if p and loop:
            shuffle, par = re.findall(r":(\d+)", name)
            yield (f"in-memory Fashion-MNIST: shuffle({shuffle}) → normalise ({par} thr.) → batch 32",
                   si(p, "examples/s"), f"hand-written loop {si(loop, 'examples/s')}", times(p / loop),
                   f"bench_pipeline {name}")
        elif B.error(name):
            yield (f"in-memory Fashion-MNIST ({name})", f"skipped: {B.error(name)}", "—", "—", "bench_pipeline")


def training_rows(B, train):
    for name in sorted(B.names(r"bm_step/.+")):
        us, vs = B.get(name, "us_per_step"), B.get(name, "vs_memcpy")
        if us and vs:
            what = name.split("/", 1)[1].replace("/", " ", 1).replace("/threads:", ", threads ")
            yield (f"optimizer step {what} (MLP, 102 k parameters)", f"{us:.0f} µs", "memcpy of the bytes it moves",
                   times(1 / vs), f"bench_training {name}")
    if not train:
        return
    if train.get("skipped"):
        yield ("training step", f"skipped: {train['skipped']}", "—", "—", "train_compare.py")
        return
    for row in train.get("rows", []):
        s, lt, pt = row.get("spool"), row.get("libtorch"), row.get("pytorch")
        if not s:
            continue
        refs, ratios = [], []
        if lt:
            refs.append(f"libtorch {si(lt)}")
            ratios.append(f"{times(s / lt)} libtorch")
        else:
            refs.append(peer_missing("libtorch", "libtorch-dev"))
        if pt:
            refs.append(f"PyTorch {si(pt)}")
            ratios.append(f"{times(s / pt)} PyTorch")
        else:
            refs.append(peer_missing("PyTorch", "python3-torch"))
        model = "MLP 784-128-10" if row["model"] == "mlp" else "CNN Conv32-Pool-Conv64-Pool-Dense128-10"
        yield (f"training step, {model}, batch {row['batch']}, {row['threads']} thr. (examples/s)", si(s),
               "; ".join(refs), ", ".join(ratios) or "—",
               f"train_compare.py (bench_training train_step/{row['model']}/threads:{row['threads']})")
    mem = train.get("memory") or {}
    if mem.get("spool_mib"):
        pt = mem.get("pytorch_mib")
        yield ("peak RSS, one Fashion-MNIST CNN epoch + test, 2 threads", f"{mem['spool_mib']:.0f} MiB",
               f"PyTorch {pt:.0f} MiB" if pt else peer_missing("PyTorch", "python3-torch"),
               f"{mem['spool_mib'] / pt:.2f}× PyTorch's (lower is better)" if pt else "—", "train_compare.py")


def loader_rows(loader):
    if not loader:
        return
    if loader.get("skipped"):
        yield ("Fashion-MNIST input pipeline vs DataLoader", f"skipped: {loader['skipped']}", "—", "—",
               "dataloader_compare.py")
        return
    torch = loader.get("torch") or {}
    for par, workers in (("1", "0"), ("2", "2")):
        s, t = loader.get("spool", {}).get(par), torch.get(workers)
        if s:
            yield (f"Fashion-MNIST normalise → shuffle → batch 32, `spool bench` map-parallelism {par}",
                   si(s, "examples/s"),
                   f"torch DataLoader num_workers={workers} {si(t, 'examples/s')}" if t else
                   peer_missing("torch DataLoader", "python3-torch"), times(s / t) if t else "—",
                   "dataloader_compare.py")


def image_rows(B, hvh):
    speedup = B.get("BM_JpegPaired", "speedup")
    if speedup:
        yield ("JPEG 1024×768 → 224×224: decode at 1/2 in the DCT domain + resize", f"{B.get('BM_JpegPaired', 'dct_ms'):.3g} ms",
               f"full decode + resize {B.get('BM_JpegPaired', 'full_ms'):.3g} ms", times(speedup),
               "bench_image BM_JpegPaired")
    for name in sorted(B.names(r"BM_HorsesVsHumans/\d+")):
        s, c = B.get(name, "images_per_s"), B.get(name, "ceiling_images_per_s")
        if s and c:
            w = name.rsplit("/", 1)[1]
            yield (f"horses-or-humans PNG decode → resize 150² → batch 32, {w} thr.", si(s, "images/s"),
                   f"decode only {si(c, 'images/s')}", times(s / c), f"bench_image {name}")
        elif B.error(name):
            yield (f"horses-or-humans ({name})", f"skipped: {B.error(name)}", "—", "—", "bench_image")
    if not hvh:
        return
    if hvh.get("skipped"):
        yield ("horses-or-humans vs torchvision", f"skipped: {hvh['skipped']}", "—", "—", "hvh_compare.py")
        return
    for w, med in sorted(hvh.get("workers", {}).items()):
        s, t = med.get("spool"), med.get("torch")
        if s:
            yield (f"horses-or-humans decode → resize 150² → batch 32, `spool bench`, {w} worker{'s' * (w != '1')}",
                   si(s, "images/s"), f"torchvision DataLoader {si(t, 'images/s')}" if t else
                   peer_missing("torchvision", "python3-torchvision python3-pil"), times(s / t) if t else "—",
                   "hvh_compare.py")


def cpu():
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
    has = {"OpenBLAS": bool(B.names(r"gemm/openblas/.+")),
           "libtorch": bool(B.names(r"conv2d/libtorch/.+")) or any(r.get("libtorch") for r in (train or {}).get("rows", [])),
           "PyTorch": bool((loader or {}).get("torch_version")) or any(r.get("pytorch") for r in (train or {}).get("rows", [])),
           "torchvision": any(m.get("torch") for m in (hvh or {}).get("workers", {}).values())}
    peers = ", ".join(f"{k} {'yes' if v else 'not installed'}" for k, v in has.items())
    if (loader or {}).get("torch_version"):
        peers += f" (torch {loader['torch_version']})"

    rows = [r for section in (io_rows(B), kernel_rows(B), pipeline_rows(B), loader_rows(loader),
                              training_rows(B, train), image_rows(B, hvh)) for r in section]
    out = ["# Benchmark results", "",
           f"Generated by `{args.command}` (`bench/make_results.py` writes this file from the JSON",
           "the benchmark programs and the `bench/*/*_compare.py` scripts leave in",
           "`<build>/bench-results/`); regenerate it rather than editing it:", "",
           "```sh", "bench/run_all.sh            # every benchmark at full length, on a quiet machine",
           "bench/run_all.sh --quick    # the rows below from short runs, a few minutes", "```", ""]
    if args.quick:
        out += [f"**A quick run** (`--quick`: a subset of the rows, each benchmark for "
                f"{args.min_time or 'its default'} s unless the row sets its own time, one round of each",
                "peer comparison, no peak-memory run), on a machine shared with other jobs: the ratios are",
                "indicative. Run `bench/run_all.sh` on a quiet machine for figures to quote.", ""]
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
