// The blocked sgemm driver (Goto's algorithm, as BLIS structures it), shared by every
// micro-kernel.
//
// Legend: M, N, K as in gemm.h; MR × NR the register tile (gemm_micro.h); MC, KC, NC the
// cache blocks; i rows of C, j columns, p steps along K; ic/jc/pc the block starts,
// ir/jr the tile starts inside a block.
//
//   for jc in N by NC:                      B panel KC × NC  -> L3
//     for pc in K by KC:                    packed once per (jc, pc)
//       for ic in M by MC:                  A block MC × KC  -> L2 (packed)
//         for jr in NC by NR:               B sliver KC × NR -> L1
//           for ir in MC by MR: tile(...)   C tile MR × NR   -> registers
//
// Threads take disjoint ranges of C's columns (or rows, whichever is longer) and run
// the whole loop nest on their range with their own packing buffers. Splitting never
// cuts K, and the K blocks depend on K alone, so every C element sees the same
// sequence of FMAs whatever the thread count.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include "spool/tensor/kernels/gemm_micro.h"
#include "spool/tensor/thread_pool.h"

namespace spool::kernels::gemm {

namespace {

// Sized for Zen 3 and later cores: 32 KiB L1d and at least 512 KiB L2 each, an L3 of
// tens of MiB shared.
// KC = 256: a B sliver (256 × 16 floats = 16 KiB) plus an A sliver (6 KiB) stay in L1.
// MC = 144: the packed A block (144 KiB) sits in L2 with room for B slivers passing by.
// NC = 2048: a packed B panel of 2 MiB per thread stays in L3 next to the other's.
constexpr std::int64_t kKc = 256;
constexpr std::int64_t kMc = 144;
constexpr std::int64_t kNc = 2048;
static_assert(kMc % kMr == 0 && kNc % kNr == 0);

// Below this many multiply-adds a product runs on the calling thread. Alone, the MLP
// step's 3.2 M-MAC products gain from a second core; inside a training step they lose:
// each half reads operands the other core wrote last (the weights Adam just updated,
// the gradient it is about to read), and moving those between the cores' caches costs
// more than the halved arithmetic saves (bench_training train_step/mlp at 2 threads
// runs at its 1-thread speed instead of below it; docs/experiments.md). The CNN's
// products (13-143 M) still split.
constexpr std::int64_t kMinParallelMacs = std::int64_t{1} << 23;
// Under Granularity::kFine (thread_pool.h) the MLP's products split too.
constexpr std::int64_t kMinParallelMacsFine = std::int64_t{1} << 21;

// A grow-only 64-byte-aligned buffer: one per thread, so steady-state calls allocate
// nothing and the pool's workers keep theirs between calls.
class Scratch {
 public:
  float* get(std::int64_t floats) {
    const auto want = static_cast<std::size_t>(floats);
    if (want > capacity_) {
      data_.reset(static_cast<float*>(::operator new(want * sizeof(float), std::align_val_t{64})));
      capacity_ = want;
    }
    return data_.get();
  }

 private:
  struct Free {
    void operator()(float* p) const { ::operator delete(p, std::align_val_t{64}); }
  };
  std::unique_ptr<float, Free> data_;
  std::size_t capacity_ = 0;
};

thread_local Scratch t_packed_a;
thread_local Scratch t_packed_b;

struct Problem {
  const Kernels* kernels;
  Plan plan;
  bool ta, tb;
  std::int64_t m, n, k;
  float alpha;
  const float* a;
  std::int64_t lda;
  const float* b;
  std::int64_t ldb;
  float beta;
  float* c;
  std::int64_t ldc;

  const float* a_at(std::int64_t i, std::int64_t p) const { return ta ? a + p * lda + i : a + i * lda + p; }
  const float* b_at(std::int64_t p, std::int64_t j) const { return tb ? b + j * ldb + p : b + p * ldb + j; }
};

// K cut into equal blocks of at most KC: a function of K alone (see the bitwise
// contract), and no thin last block.
std::int64_t k_blocks(std::int64_t k) { return (k + kKc - 1) / kKc; }

bool decide(Pack pack, bool fallback) { return pack == Pack::kAuto ? fallback : pack == Pack::kAlways; }

// C[i0, i1) × [j0, j1) of the product.
void run_range(const Problem& pr, std::int64_t i0, std::int64_t i1, std::int64_t j0, std::int64_t j1) {
  const Kernels& kern = *pr.kernels;
  const std::int64_t rows = i1 - i0;
  const std::int64_t kb = k_blocks(pr.k);
  // In place, op(A)'s rows are read along K (or six adjacent floats per step when
  // transposed) and reused across the column slivers from L1/L2. Packing A pays only
  // once more than 16 slivers reuse it and it spans more than 8 row tiles (it then also
  // spares the TLB the long strides of a wide A). B in place needs NR adjacent floats
  // per step; packing it pays back only over more than 8 row tiles, so at 32 rows (the
  // MLP batch) B stays in place. bench_kernels gemm/spool/512 and the mlp_* shapes
  // straddle both thresholds.
  const bool pack_a = decide(pr.plan.pack_a, j1 - j0 > 16 * kNr && rows > 8 * kMr);
  const bool pack_b = pr.tb || decide(pr.plan.pack_b, rows > 8 * kMr);
  const std::int64_t ncap = std::min(kNc, (j1 - j0 + kNr - 1) / kNr * kNr);
  const std::int64_t kcap = (pr.k + kb - 1) / kb;
  float* packed_a = pack_a ? t_packed_a.get(std::min(kMc, (rows + kMr - 1) / kMr * kMr) * kcap) : nullptr;
  // Unpacked B still packs its last, partial sliver (zero-padded to NR).
  float* packed_b = t_packed_b.get((pack_b ? ncap : kNr) * kcap);

  for (std::int64_t jc = j0; jc < j1; jc += kNc) {
    const std::int64_t nc = std::min(kNc, j1 - jc);
    const std::int64_t full_slivers = nc / kNr;
    for (std::int64_t blk = 0; blk < kb; ++blk) {
      const std::int64_t pc = pr.k * blk / kb;
      const std::int64_t kc = pr.k * (blk + 1) / kb - pc;
      const float beta = blk == 0 ? pr.beta : 1.0f;
      if (pack_b) {
        kern.pack_b(pr.tb, pr.b_at(pc, jc), pr.ldb, kc, nc, packed_b);
      } else if (nc % kNr != 0) {
        kern.pack_b(false, pr.b_at(pc, jc + full_slivers * kNr), pr.ldb, kc, nc % kNr, packed_b);
      }
      for (std::int64_t ic = i0; ic < i1; ic += kMc) {
        const std::int64_t mc = std::min(kMc, i1 - ic);
        if (pack_a) kern.pack_a(pr.ta, pr.a_at(ic, pc), pr.lda, mc, kc, packed_a);
        Tile t{};
        t.k = kc;
        t.alpha = pr.alpha;
        t.beta = beta;
        t.ldc = pr.ldc;
        for (std::int64_t jr = 0; jr < nc; jr += kNr) {
          const std::int64_t sliver = jr / kNr;
          if (pack_b) {
            t.b = packed_b + sliver * kNr * kc;
            t.b_rs = kNr;
          } else if (sliver < full_slivers) {
            t.b = pr.b_at(pc, jc + jr);
            t.b_rs = pr.ldb;
          } else {
            t.b = packed_b;
            t.b_rs = kNr;
          }
          t.nr = static_cast<int>(std::min<std::int64_t>(kNr, nc - jr));
          for (std::int64_t ir = 0; ir < mc; ir += t.mr) {
            // A thin last tile runs at FMA latency, not throughput: read in place, the
            // last 7..9 rows go as two near-equal tiles (32 = 6+6+6+6+4+4, not ...+6+2).
            const std::int64_t left = mc - ir;
            const bool split = !pack_a && left > kMr && left < kMr + 4;
            const bool pair = kern.row_pairs && left >= 2 * kMr;
            t.mr = static_cast<int>(pair    ? 2 * kMr
                                    : split ? (left + 1) / 2
                                            : std::min<std::int64_t>(kMr, left));
            if (pack_a) {
              t.a = packed_a + ir * kc;
              t.a_rs = 1;
              t.a_cs = kMr;
              t.a_next = kMr * kc;
            } else {
              t.a = pr.a_at(ic + ir, pc);
              t.a_rs = pr.ta ? 1 : pr.lda;
              t.a_cs = pr.ta ? pr.lda : 1;
              t.a_next = kMr * t.a_rs;
            }
            t.c = pr.c + (ic + ir) * pr.ldc + jc + jr;
            kern.tile(t);
          }
        }
      }
    }
  }
}

// alpha == 0 or K == 0: C = beta · C without touching A or B (BLAS semantics).
void scale_c(std::int64_t m, std::int64_t n, float beta, float* c, std::int64_t ldc) {
  for (std::int64_t i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    if (beta == 0.0f) {
      std::fill(row, row + n, 0.0f);
    } else {
      for (std::int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

}  // namespace

void run(const Kernels& kernels, const Plan& plan, bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k,
         float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
         std::int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == 0.0f) return scale_c(m, n, beta, c, ldc);
  const Problem pr{&kernels, plan, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc};
  const std::int64_t row_tiles = (m + kMr - 1) / kMr;
  const std::int64_t col_tiles = (n + kNr - 1) / kNr;
  const std::int64_t min_macs =
      parallel_granularity() == Granularity::kFine ? kMinParallelMacsFine : kMinParallelMacs;
  if (m * n * k < min_macs || num_threads() == 1 || (row_tiles < 2 && col_tiles < 2)) {
    return run_range(pr, 0, m, 0, n);
  }
  // Cut the longer side so that each thread re-packs (duplicates) the smaller operand.
  if (col_tiles * kNr >= row_tiles * kMr) {
    parallel_for(col_tiles, 1, [&](std::int64_t begin, std::int64_t end) {
      run_range(pr, 0, m, begin * kNr, std::min(n, end * kNr));
    });
  } else {
    parallel_for(row_tiles, 1, [&](std::int64_t begin, std::int64_t end) {
      run_range(pr, begin * kMr, std::min(m, end * kMr), 0, n);
    });
  }
}

}  // namespace spool::kernels::gemm
