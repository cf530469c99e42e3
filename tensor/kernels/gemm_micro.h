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

// x86-64 with GCC or Clang: the SIMD kernel sets compile (with per-function targets).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SPOOL_GEMM_X86 1
#include <immintrin.h>
#endif

namespace spool::kernels::gemm {

inline constexpr int kMr = 6;
inline constexpr int kNr = 16;

// One register tile: C[0, mr) × [0, nr) = alpha · Σ_p A(i, p) · B(p, j) + beta · C,
// mr ≤ kMr, nr ≤ kNr. A(i, p) is a[i * a_rs + p * a_cs] (packed: a_rs = 1, a_cs = kMr;
// op(A) read in place: lda or 1 either way). B step p is kNr floats at b + p * b_rs,
// readable in full even when nr < kNr. beta == 0 means C is not read. A kernel set with
// row_pairs also takes mr = 2 · kMr: two tiles of rows, the second's A at a + a_next and
// its C rows right below the first's.
struct Tile {
  std::int64_t k;
  const float* a;
  std::int64_t a_rs;
  std::int64_t a_cs;
  std::int64_t a_next;
  const float* b;
  std::int64_t b_rs;
  float* c;
  std::int64_t ldc;
  int mr;
  int nr;
  float alpha;
  float beta;
};

// Calls fn.template operator()<R, kPackedA>() with R = t.mr (1..kMr, or 2 · kMr for a
// row pair) and kPackedA = A's strides are the packed ones (1, kMr), both as constants
// so a micro-kernel compiles one loop per case.
template <typename Fn>
void dispatch_tile(const Tile& t, Fn&& fn) {
  const auto rows = [&]<bool kPackedA>() {
    switch (t.mr) {
      case 2 * kMr: return fn.template operator()<2 * kMr, kPackedA>();
      case 6: return fn.template operator()<6, kPackedA>();
      case 5: return fn.template operator()<5, kPackedA>();
      case 4: return fn.template operator()<4, kPackedA>();
      case 3: return fn.template operator()<3, kPackedA>();
      case 2: return fn.template operator()<2, kPackedA>();
      default: return fn.template operator()<1, kPackedA>();
    }
  };
  if (t.a_rs == 1 && t.a_cs == kMr) return rows.template operator()<true>();
  rows.template operator()<false>();
}

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
  bool row_pairs = false;  // tile() takes mr = 2 · kMr (see Tile)
};

// nullptr when this CPU (or this build) lacks AVX2 and FMA.
const Kernels* avx2_kernels();
// nullptr without AVX-512F (and AVX2); packs as avx2_kernels, tiles in row pairs.
const Kernels* avx512_kernels();
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
