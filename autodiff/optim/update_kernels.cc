// The optimizers' update loops (detail/update_kernels.h has the legend).
//
// Each loop runs blocks of kLanes elements through local arrays, then the tail one
// element at a time through the same code: GCC 12 at -O2 vectorises only loops whose
// trip count it knows, and the local arrays plus __restrict let it keep moments and
// parameters in registers. The tail uses the same arithmetic and fp contraction is off
// in ISO C++ mode, so an element's result never depends on where a run was cut (the
// optimizer merges adjacent variables into one run). This file is compiled with
// -fno-math-errno (autodiff/CMakeLists.txt): otherwise GCC keeps a scalar sqrt call
// per element for the errno of a negative input, which moments never are.
// SPOOL_AVX2_CLONES (tensor/target_clones.h) adds an AVX2 copy of each loop (no FMA, so both copies round alike).
//
// Adam's float loop, the MLP's hottest after the GEMMs, is written out in AVX2
// intrinsics: GCC 12's SLP pass judged its last loop (the stores of m, v and p)
// "not profitable" at -O2 and -O3 alike and ran it scalar (bench_training
// optimizer/adam/* sets the loop beside a memcpy of its bytes). The intrinsics are the
// same IEEE operations in the same order without FMA, so every lane rounds exactly as
// the scalar tail does.
//
// Every update runs with denormals flushed to zero (FTZ and DAZ in MXCSR, restored on
// return), as TensorFlow runs its kernels. The moments of a weight whose gradient stays
// zero (a Fashion-MNIST border pixel) decay into the denormal range and stick there,
// and on x86 each operation on a denormal costs a microcode assist, enough to make Adam
// the largest part of an MLP step (bench_training train_step/mlp, optimizer/adam).
#include "spool/autodiff/optim/detail/update_kernels.h"

#include <cmath>

#include "spool/tensor/target_clones.h"

// x86-64 under GCC or Clang: the MXCSR scope and the AVX2 Adam loop below.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SPOOL_OPTIM_X86 1
#endif

namespace spool::autodiff::detail {
namespace {

constexpr int kLanes = 16;

class FlushDenormalsToZero {
 public:
#if SPOOL_OPTIM_X86
  FlushDenormalsToZero() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero); }
  ~FlushDenormalsToZero() { _mm_setcsr(saved_); }

 private:
  static constexpr unsigned kFlushToZero = 1u << 15, kDenormalsAreZero = 1u << 6;
  unsigned saved_;
#else
  FlushDenormalsToZero() {}
#endif
  FlushDenormalsToZero(const FlushDenormalsToZero&) = delete;
  FlushDenormalsToZero& operator=(const FlushDenormalsToZero&) = delete;
};

// lanes.operator()<W>(i) updates elements [i, i + W).
template <typename Lanes>
SPOOL_ALWAYS_INLINE inline void for_lanes(std::int64_t n, Lanes&& lanes) {
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) lanes.template operator()<kLanes>(i);
  for (; i < n; ++i) lanes.template operator()<1>(i);
}

enum class SgdMode { kPlain, kMomentum, kNesterov };

template <int W, SgdMode kMode, typename T>
SPOOL_ALWAYS_INLINE inline void sgd_lanes(T* __restrict p, const T* __restrict g, T* __restrict m, T lr, T momentum, T scale) {
  T gs[W];
  for (int k = 0; k < W; ++k) gs[k] = g[k] * scale;
  if constexpr (kMode == SgdMode::kPlain) {
    for (int k = 0; k < W; ++k) p[k] -= gs[k] * lr;
  } else {
    T mn[W];
    for (int k = 0; k < W; ++k) mn[k] = m[k] * momentum - gs[k] * lr;
    for (int k = 0; k < W; ++k) m[k] = mn[k];
    if constexpr (kMode == SgdMode::kNesterov) {
      for (int k = 0; k < W; ++k) p[k] += mn[k] * momentum - gs[k] * lr;
    } else {
      for (int k = 0; k < W; ++k) p[k] += mn[k];
    }
  }
}

template <typename T>
SPOOL_ALWAYS_INLINE inline void sgd_run(T* p, const T* g, T* m, std::int64_t n, const SgdParams& k) {
  const T lr = static_cast<T>(k.learning_rate), mom = static_cast<T>(k.momentum), s = static_cast<T>(k.scale);
  auto run = [&]<SgdMode kMode>() SPOOL_ALWAYS_INLINE {
    for_lanes(n, [&]<int W>(std::int64_t i) SPOOL_ALWAYS_INLINE { sgd_lanes<W, kMode>(p + i, g + i, m ? m + i : nullptr, lr, mom, s); });
  };
  if (m == nullptr) run.template operator()<SgdMode::kPlain>();
  else if (k.nesterov) run.template operator()<SgdMode::kNesterov>();
  else run.template operator()<SgdMode::kMomentum>();
}

template <int W, bool kAmsgrad, typename T>
SPOOL_ALWAYS_INLINE inline void adam_lanes(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, T* __restrict vhat,
                       T alpha, T c1, T c2, T eps, T scale) {
  T gs[W], mn[W], vn[W], den[W];
  for (int k = 0; k < W; ++k) {
    gs[k] = g[k] * scale;
    mn[k] = m[k] + (gs[k] - m[k]) * c1;
    vn[k] = v[k] + (gs[k] * gs[k] - v[k]) * c2;
  }
  if constexpr (kAmsgrad) {
    for (int k = 0; k < W; ++k) {
      const T h = vhat[k] > vn[k] ? vhat[k] : vn[k];
      vhat[k] = h;
      den[k] = std::sqrt(h);
    }
  } else {
    for (int k = 0; k < W; ++k) den[k] = std::sqrt(vn[k]);
  }
  for (int k = 0; k < W; ++k) {
    m[k] = mn[k];
    v[k] = vn[k];
    p[k] -= (mn[k] * alpha) / (den[k] + eps);
  }
}

#if SPOOL_OPTIM_X86
// Updates the first n - n % 8 elements; returns how many it did.
__attribute__((target("avx2"))) std::int64_t adam_avx2(float* p, const float* g, float* m, float* v, std::int64_t n,
                                                       float alpha, float c1, float c2, float eps, float scale) {
  const __m256 va = _mm256_set1_ps(alpha), vc1 = _mm256_set1_ps(c1), vc2 = _mm256_set1_ps(c2),
               veps = _mm256_set1_ps(eps), vs = _mm256_set1_ps(scale);
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 gs = _mm256_mul_ps(_mm256_loadu_ps(g + i), vs);
    const __m256 m0 = _mm256_loadu_ps(m + i), v0 = _mm256_loadu_ps(v + i);
    const __m256 mn = _mm256_add_ps(m0, _mm256_mul_ps(_mm256_sub_ps(gs, m0), vc1));
    const __m256 vn = _mm256_add_ps(v0, _mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(gs, gs), v0), vc2));
    const __m256 step = _mm256_div_ps(_mm256_mul_ps(mn, va), _mm256_add_ps(_mm256_sqrt_ps(vn), veps));
    _mm256_storeu_ps(m + i, mn);
    _mm256_storeu_ps(v + i, vn);
    _mm256_storeu_ps(p + i, _mm256_sub_ps(_mm256_loadu_ps(p + i), step));
  }
  return i;
}

bool have_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#endif

template <typename T>
SPOOL_ALWAYS_INLINE inline void adam_run(T* p, const T* g, T* m, T* v, T* vhat, std::int64_t n, const AdamParams& k) {
  const T alpha = static_cast<T>(k.alpha), c1 = static_cast<T>(k.one_minus_beta_1),
          c2 = static_cast<T>(k.one_minus_beta_2), eps = static_cast<T>(k.epsilon), s = static_cast<T>(k.scale);
  auto run = [&]<bool kAmsgrad>() SPOOL_ALWAYS_INLINE {
    for_lanes(n, [&]<int W>(std::int64_t i) SPOOL_ALWAYS_INLINE {
      adam_lanes<W, kAmsgrad>(p + i, g + i, m + i, v + i, vhat ? vhat + i : nullptr, alpha, c1, c2, eps, s);
    });
  };
  if (vhat != nullptr) run.template operator()<true>();
  else run.template operator()<false>();
}

template <int W, bool kCentered, bool kMomentum, typename T>
SPOOL_ALWAYS_INLINE inline void rmsprop_lanes(T* __restrict p, const T* __restrict g, T* __restrict v, T* __restrict avg,
                          T* __restrict m, T lr, T rho, T one_minus_rho, T momentum, T eps, T scale) {
  T gs[W], vn[W], den[W], inc[W];
  for (int k = 0; k < W; ++k) {
    gs[k] = g[k] * scale;
    vn[k] = rho * v[k] + one_minus_rho * (gs[k] * gs[k]);
  }
  if constexpr (kCentered) {
    T an[W];
    for (int k = 0; k < W; ++k) an[k] = rho * avg[k] + one_minus_rho * gs[k];
    for (int k = 0; k < W; ++k) {
      avg[k] = an[k];
      den[k] = vn[k] - an[k] * an[k] + eps;
    }
  } else {
    for (int k = 0; k < W; ++k) den[k] = vn[k] + eps;
  }
  for (int k = 0; k < W; ++k) {
    v[k] = vn[k];
    inc[k] = (lr * gs[k]) / std::sqrt(den[k]);
  }
  if constexpr (kMomentum) {
    T mn[W];
    for (int k = 0; k < W; ++k) mn[k] = momentum * m[k] + inc[k];
    for (int k = 0; k < W; ++k) {
      m[k] = mn[k];
      p[k] -= mn[k];
    }
  } else {
    for (int k = 0; k < W; ++k) p[k] -= inc[k];
  }
}

template <typename T>
SPOOL_ALWAYS_INLINE inline void rmsprop_run(T* p, const T* g, T* v, T* avg, T* m, std::int64_t n, const RmspropParams& k) {
  const T lr = static_cast<T>(k.learning_rate), rho = static_cast<T>(k.rho),
          one_minus_rho = static_cast<T>(1.0 - k.rho), mom = static_cast<T>(k.momentum),
          eps = static_cast<T>(k.epsilon), s = static_cast<T>(k.scale);
  auto run = [&]<bool kCentered, bool kMomentum>() SPOOL_ALWAYS_INLINE {
    for_lanes(n, [&]<int W>(std::int64_t i) SPOOL_ALWAYS_INLINE {
      rmsprop_lanes<W, kCentered, kMomentum>(p + i, g + i, v + i, avg ? avg + i : nullptr, m ? m + i : nullptr, lr,
                                             rho, one_minus_rho, mom, eps, s);
    });
  };
  if (avg && m) run.template operator()<true, true>();
  else if (avg) run.template operator()<true, false>();
  else if (m) run.template operator()<false, true>();
  else run.template operator()<false, false>();
}

template <int W, typename T>
SPOOL_ALWAYS_INLINE inline void adagrad_lanes(T* __restrict p, const T* __restrict g, T* __restrict acc, T lr, T eps, T scale) {
  T gs[W], an[W];
  for (int k = 0; k < W; ++k) {
    gs[k] = g[k] * scale;
    an[k] = acc[k] + gs[k] * gs[k];
  }
  for (int k = 0; k < W; ++k) {
    acc[k] = an[k];
    p[k] -= (lr * gs[k]) / std::sqrt(an[k] + eps);
  }
}

template <typename T>
SPOOL_ALWAYS_INLINE inline void adagrad_run(T* p, const T* g, T* acc, std::int64_t n, const AdagradParams& k) {
  const T lr = static_cast<T>(k.learning_rate), eps = static_cast<T>(k.epsilon), s = static_cast<T>(k.scale);
  for_lanes(n, [&]<int W>(std::int64_t i) SPOOL_ALWAYS_INLINE { adagrad_lanes<W>(p + i, g + i, acc + i, lr, eps, s); });
}

template <typename T>
SPOOL_ALWAYS_INLINE inline double sum_squares_run(const T* g, std::int64_t n) {
  double partial[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    // Unrolled, the partial sums live in registers instead of a stack array
    // (bench_training optimizer/adam/global_clipnorm reads every gradient through here).
#pragma GCC unroll 16
    for (int k = 0; k < kLanes; ++k) partial[k] += static_cast<double>(g[i + k]) * static_cast<double>(g[i + k]);
  }
  for (; i < n; ++i) partial[0] += static_cast<double>(g[i]) * static_cast<double>(g[i]);
  double total = 0;
  for (double s : partial) total += s;
  return total;
}

}  // namespace

SPOOL_AVX2_CLONES void sgd_update(float* p, const float* g, float* m, std::int64_t n, const SgdParams& k) {
  const FlushDenormalsToZero flush;
  sgd_run(p, g, m, n, k);
}
SPOOL_AVX2_CLONES void sgd_update(double* p, const double* g, double* m, std::int64_t n, const SgdParams& k) {
  const FlushDenormalsToZero flush;
  sgd_run(p, g, m, n, k);
}
SPOOL_AVX2_CLONES void adam_update(float* p, const float* g, float* m, float* v, float* vhat, std::int64_t n,
                                    const AdamParams& k) {
  const FlushDenormalsToZero flush;
#if SPOOL_OPTIM_X86
  if (vhat == nullptr && have_avx2()) {
    const std::int64_t done =
        adam_avx2(p, g, m, v, n, static_cast<float>(k.alpha), static_cast<float>(k.one_minus_beta_1),
                  static_cast<float>(k.one_minus_beta_2), static_cast<float>(k.epsilon), static_cast<float>(k.scale));
    p += done, g += done, m += done, v += done, n -= done;
  }
#endif
  adam_run(p, g, m, v, vhat, n, k);
}
SPOOL_AVX2_CLONES void adam_update(double* p, const double* g, double* m, double* v, double* vhat, std::int64_t n,
                                    const AdamParams& k) {
  const FlushDenormalsToZero flush;
  adam_run(p, g, m, v, vhat, n, k);
}
SPOOL_AVX2_CLONES void rmsprop_update(float* p, const float* g, float* v, float* avg, float* m, std::int64_t n,
                                       const RmspropParams& k) {
  const FlushDenormalsToZero flush;
  rmsprop_run(p, g, v, avg, m, n, k);
}
SPOOL_AVX2_CLONES void rmsprop_update(double* p, const double* g, double* v, double* avg, double* m,
                                       std::int64_t n, const RmspropParams& k) {
  const FlushDenormalsToZero flush;
  rmsprop_run(p, g, v, avg, m, n, k);
}
SPOOL_AVX2_CLONES void adagrad_update(float* p, const float* g, float* acc, std::int64_t n,
                                       const AdagradParams& k) {
  const FlushDenormalsToZero flush;
  adagrad_run(p, g, acc, n, k);
}
SPOOL_AVX2_CLONES void adagrad_update(double* p, const double* g, double* acc, std::int64_t n,
                                       const AdagradParams& k) {
  const FlushDenormalsToZero flush;
  adagrad_run(p, g, acc, n, k);
}
SPOOL_AVX2_CLONES double sum_squares(const float* g, std::int64_t n) { return sum_squares_run(g, n); }
SPOOL_AVX2_CLONES double sum_squares(const double* g, std::int64_t n) { return sum_squares_run(g, n); }

}  // namespace spool::autodiff::detail
