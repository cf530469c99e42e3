// Internal to sgemm: the contract between the blocked driver (gemm_driver.cc) and the
// per-CPU micro-kernels and packing routines (gemm_avx2.cc, gemm_portable.cc).
//
// Legend: M, N, K as in gemm.h; MR × NR the register tile of C one micro-kernel call
// computes (6 × 16: twelve 8-lane accumulators); MC × KC the block of op(A) packed to
// stay in L2, KC × NC the panel of op(B) packed to stay in L3, KC × NR the sliver of
// it that stays in L1 while the micro-kernel sweeps the MC rows.
//
// Packed A: MR-row slivers, each KC steps of MR values (zero past M), so step p of a
// sliver is MR consecutive floats. Packed B: NR-column slivers, each KC steps of NR
// values (zero past N). Every implementation shares the layout and the tile, so the
// driver, its threading and its tests are written once.
//
// Bitwise contract: one C element's value depends only on its row of op(A), its column
// of op(B), K, alpha, beta and the old C — never on where its tile starts, how the
// work is split or whether a panel was packed — so results do not change with the
// thread count.
#pragma once

#include <cstdint>

namespace spool::kernels::gemm {

inline constexpr int kMr = 6;
inline constexpr int kNr = 16;

// One register tile: C[0, mr) × [0, nr) = alpha · Σ_p A(i, p) · B(p, j) + beta · C,
// mr ≤ kMr, nr ≤ kNr. A(i, p) is a[i * a_rs + p * a_cs] (packed: a_rs = 1, a_cs = kMr;
// op(A) read in place: lda or 1 either way). B step p is kNr floats at b + p * b_rs,
// readable in full even when nr < kNr. beta == 0 means C is not read.
struct Tile {
  std::int64_t k;
  const float* a;
  std::int64_t a_rs;
  std::int64_t a_cs;
  const float* b;
  std::int64_t b_rs;
  float* c;
  std::int64_t ldc;
  int mr;
  int nr;
  float alpha;
  float beta;
};

// What one CPU class supplies to the driver.
struct Kernels {
  const char* name;
  void (*tile)(const Tile& t);
  // Packs the mc × kc block of op(A) whose top-left element is at `a` (transposed: A is
  // stored K × M) into ceil(mc / kMr) slivers.
  void (*pack_a)(bool transpose, const float* a, std::int64_t lda, std::int64_t mc, std::int64_t kc, float* dst);
  // Packs the kc × nc panel of op(B) whose top-left element is at `b` into
  // ceil(nc / kNr) slivers.
  void (*pack_b)(bool transpose, const float* b, std::int64_t ldb, std::int64_t kc, std::int64_t nc, float* dst);
};

// nullptr when this CPU (or this build) lacks AVX2 and FMA.
const Kernels* avx2_kernels();
const Kernels& portable_kernels();

// Which operands the driver packs; kAuto lets it decide from the shape. Tests force
// each choice so that every path is checked whatever the heuristics say.
enum class Pack { kAuto, kAlways, kNever };
struct Plan {
  Pack pack_a = Pack::kAuto;
  Pack pack_b = Pack::kAuto;
};

// The blocked algorithm over any Kernels; arguments as sgemm (already validated).
void run(const Kernels& kernels, const Plan& plan, bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k,
         float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
         std::int64_t ldc);

}  // namespace spool::kernels::gemm
