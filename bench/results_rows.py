"""The rows of bench/RESULTS.md: each Spool figure beside its peer or reference from the
same run, read from the JSON that bench/run_all.sh collects (make_results.py writes the
file). A row is (what, Spool, beside it, ratio, benchmark); a peer that is missing is
named in its row, a benchmark that did not run leaves its rows out.
"""
import json
import os
import re
import statistics

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
        yield ("gzip TFRecord read, streamed through zlib", gbps(g), f"zlib `gzread` {gbps(z)}", times(g / z),
               "bench_io gzip/*")
    w, i = B.get("gzip/tfrecord/whole", "bytes_per_second"), B.get("gzip/zlib_inflate", "bytes_per_second")
    if w and z:
        ref = f"zlib `gzread` {gbps(z)}; streamed {gbps(g)}" if g else f"zlib `gzread` {gbps(z)}"
        yield ("gzip TFRecord read, inflated whole (libdeflate)", gbps(w), ref, times(w / z), "bench_io gzip/*")
    d = B.get("gzip/libdeflate_inflate", "bytes_per_second")
    if d and i:
        yield ("gzip inflate of bytes in memory: libdeflate vs zlib", gbps(d), f"zlib `inflate` {gbps(i)}", times(d / i),
               "bench_io gzip/*_inflate")
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
                    f"TFRecord → `map(parse_example)` on {par} thread{'s' * (par != '1')} → batch(256), "
                    "as written (no rewrites)")
            yield (what, si(p, "records/s"), f"`TFRecordReader::next()` loop {si(read, 'records/s')}",
                   times(p / read), f"bench_pipeline {name}")
        fused, gain = B.get(name, "rewritten_vs_fused"), B.get(name, "rewritten_vs_written")
        if fused and gain:
            yield (f"the same, rewritten (map + batch fusion)", f"{gain:.2f}× as written",
                   "`parse_example_batch` in the same run", times(fused), f"bench_pipeline {name}")
    for name in sorted(B.names(r"interleave_tfrecord/parallelism:-?\d+")):
        inter, builtin = B.get(name, "interleave_records_per_s"), B.get(name, "builtin_records_per_s")
        if inter and builtin:
            par = name.rsplit(":", 1)[1]
            par = "autotune" if par == "-1" else par
            yield (f"`list_files().interleave(TFRecordDataset, cycle 4)`, parallelism {par}, 4 gzip shards",
                   si(inter, "records/s"), f"`TFRecordDataset(files, gzip, 4)` {si(builtin, 'records/s')}",
                   times(inter / builtin), f"bench_pipeline {name}")
    for name in sorted(B.names(r"parallel_map/spin_rounds/\d+"), key=lambda n: int(n.rsplit("/", 1)[1])):
        us, one, two = (B.get(name, f) for f in ("us_per_element", "elements_per_s_1", "elements_per_s_2"))
        raw, speedup = B.get(name, "raw_threads_2_vs_1"), B.get(name, "speedup_2_vs_1")
        if speedup:
            yield (f"parallel map, ~{us:.2g} µs per element: 2 workers vs inline", si(two, "elements/s"),
                   f"inline {si(one, 'elements/s')}; two plain threads scale {raw:.2f}×", times(speedup),
                   f"bench_pipeline {name}")
    for name in sorted(B.names(r"fashion_mnist/.+")):
        p, loop = B.get(name, "examples_per_s"), B.get(name, "loop_examples_per_s")
        gather = B.get(name, "gather_loop_examples_per_s")
        if p and loop:
            shuffle, par = re.findall(r":(\d+)", name)
            yield (f"in-memory Fashion-MNIST: shuffle({shuffle}) → normalise ({par} thr.) → batch 32",
                   si(p, "examples/s"), f"hand-written loop normalising each row {si(loop, 'examples/s')}",
                   times(p / loop), f"bench_pipeline {name}")
            if gather:
                yield (f"in-memory Fashion-MNIST: shuffle({shuffle}) → normalise ({par} thr.) → batch 32",
                       si(p, "examples/s"), f"hand-written loop gathering rows, then normalising the batch "
                       f"{si(gather, 'examples/s')}", times(p / gather), f"bench_pipeline {name}")
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
    for row in train.get("rows", []):
        s, g, lt = row.get("spool"), row.get("graph"), row.get("libtorch")
        if not (s and g):
            continue
        model = "MLP 784-128-10" if row["model"] == "mlp" else "CNN Conv32-Pool-Conv64-Pool-Dense128-10"
        beside = f"eager {si(s)}" + (f"; libtorch {si(lt)}" if lt else "")
        ratios = f"{times(g / s)} eager" + (f", {times(g / lt)} libtorch" if lt else "")
        yield (f"training step in graph mode (`spool::function`), {model}, batch {row['batch']}, "
               f"{row['threads']} thr. (examples/s)", si(g), beside, ratios,
               f"train_compare.py (bench_training train_step/{row['model']}/threads:{row['threads']}, graph_ex_per_s)")
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
    for kind, label in (("png", "horses-or-humans PNG"), ("jpeg", "shared JPEGs (DCT-scaled)")):
        name = f"folder_pipeline/{kind}"
        one, two, c = (B.get(name, k) for k in ("one_worker_images_per_s", "two_workers_images_per_s",
                                                "ceiling_images_per_s"))
        if one and two and c:
            yield (f"{label} decode → resize 150² → batch 32, 2 workers vs 1 (goal ≥ 1.8×)", si(two, "images/s"),
                   f"1 worker {si(one, 'images/s')}", times(two / one), f"bench_image {name}")
            yield (f"{label} decode → resize 150² → batch 32, 2 workers vs the codec alone on every core (goal ≥ 90 %)",
                   si(two, "images/s"), f"decode ceiling {si(c, 'images/s')}", f"{100 * two / c:.0f} %",
                   f"bench_image {name}")
        elif B.error(name):
            yield (f"{label} folder pipeline", f"skipped: {B.error(name)}", "—", "—", "bench_image")
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


def read_key_values(path):
    """bench_mpi's output: one line per figure, "name key=value ...", as dicts by name."""
    figures = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if parts and all("=" in p for p in parts[1:]):
                    figures[parts[0]] = {k: float(v) for k, v in (p.split("=", 1) for p in parts[1:])}
    except (OSError, ValueError):
        pass
    return figures


def replica_rows(B, mpi):
    """Mirrored(2) beside one replica (bench_training replicas/*), and the multi-worker
    figures of bench_mpi under `mpirun -np 2` (the all-reduce beside a bare MPI_Allreduce,
    the CNN step on 2 workers beside Mirrored(2))."""
    for model in ("cnn", "mlp"):
        name = f"replicas/{model}"
        m, one, two = (B.get(name, k) for k in ("mirrored2_ex_per_s", "one_core_ex_per_s", "two_threads_ex_per_s"))
        if m and one and two:
            yield (f"training step, {model}, Mirrored(2) on 2 cores vs one replica on one core (examples/s)", si(m),
                   f"one replica, 1 thread {si(one)}", times(m / one), f"bench_training {name}")
            yield (f"training step, {model}, Mirrored(2) vs one replica with 2 kernel threads (examples/s)", si(m),
                   f"one replica, 2 threads {si(two)}", times(m / two), f"bench_training {name}")
    a = mpi.get("allreduce")
    if a:
        yield (f"all-reduce of the CNN's gradients ({a['bytes'] / 1e6:.2f} MB), 2 workers (`mpirun -np 2`)",
               f"{a['spool_us']:.0f} µs", f"bare `MPI_Allreduce` {a['mpi_us']:.0f} µs", times(a["spool_vs_mpi"]),
               "bench_mpi allreduce")
    t, m = mpi.get("train_step/cnn"), B.get("replicas/cnn", "mirrored2_ex_per_s")
    if t:
        yield ("training step, cnn, 2 MPI workers of 1 thread on one machine (examples/s)", si(t["ex_per_s"]),
               f"Mirrored(2) in one process {si(m)}" if m else "—", times(t["ex_per_s"] / m) if m else "—",
               "bench_mpi train_step/cnn")
    p = mpi.get("ps_exchange")
    if p:
        yield (f"parameter server push and pull of the CNN ({p['floats'] * 4 / 1e6:.2f} MB), point-to-point "
               f"(`mpirun -np 2`)", f"{p['p2p_us']:.0f} µs", f"one-sided (`MPI_Accumulate` + `MPI_Get`) {p['onesided_us']:.0f} µs",
               times(p["onesided_vs_p2p"]), "bench_mpi ps_exchange")
