// sgemm and matmul against a double-accumulating reference loop, for every
// implementation this CPU runs and every packing plan the driver can take.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "spool/tensor/kernels/gemm.h"
#include "spool/tensor/kernels/gemm_micro.h"
#include "spool/tensor/thread_pool.h"

namespace spool::kernels {
namespace {

struct Shape3 {
  std::int64_t m, n, k;
};

// One problem with its own storage: op(A) is M × K, op(B) K × N, each stored row-major
// with a leading dimension of at least the stored row plus `pad`.
struct Problem {
  bool ta = false, tb = false;
  std::int64_t m = 0, n = 0, k = 0;
  std::int64_t lda = 1, ldb = 1, ldc = 1;
  float alpha = 1, beta = 0;
  std::vector<float> a, b, c;

  Problem(bool ta_, bool tb_, Shape3 s, std::int64_t pad, std::mt19937& rng) : ta(ta_), tb(tb_), m(s.m), n(s.n), k(s.k) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    lda = (ta ? m : k) + pad;
    ldb = (tb ? k : n) + pad;
    ldc = n + pad;
    a.resize(static_cast<std::size_t>((ta ? k : m) * lda));
    b.resize(static_cast<std::size_t>((tb ? n : k) * ldb));
    c.resize(static_cast<std::size_t>(m * ldc));
    for (float& x : a) x = u(rng);
    for (float& x : b) x = u(rng);
    for (float& x : c) x = u(rng);
  }
  float a_at(std::int64_t i, std::int64_t p) const { return ta ? a[p * lda + i] : a[i * lda + p]; }
  float b_at(std::int64_t p, std::int64_t j) const { return tb ? b[j * ldb + p] : b[p * ldb + j]; }

  template <typename Fn>
  std::vector<float> run(Fn&& fn) const {
    std::vector<float> out = c;
    fn(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, out.data(), ldc);
    return out;
  }
};

// Checks `got` against a double-precision loop, with the classic bound for a K-term
// float dot product; padding between rows of C must be left alone.
void expect_matches_reference(const Problem& p, const std::vector<float>& got, const std::string& what) {
  int reported = 0;
  for (std::int64_t i = 0; i < p.m; ++i) {
    for (std::int64_t j = 0; j < p.ldc; ++j) {
      const std::size_t at = static_cast<std::size_t>(i * p.ldc + j);
      if (j >= p.n) {
        ASSERT_EQ(std::memcmp(&got[at], &p.c[at], sizeof(float)), 0) << what << ": padding at " << i << "," << j;
        continue;
      }
      double sum = 0, magnitude = 0;
      for (std::int64_t q = 0; q < p.k; ++q) {
        const double prod = static_cast<double>(p.a_at(i, q)) * p.b_at(q, j);
        sum += prod;
        magnitude += std::fabs(prod);
      }
      double want = p.alpha * sum;
      magnitude = std::fabs(p.alpha) * magnitude;
      if (p.beta != 0) {
        want += static_cast<double>(p.beta) * p.c[at];
        magnitude += std::fabs(static_cast<double>(p.beta) * p.c[at]);
      }
      const double tol = 2.0 * FLT_EPSILON * static_cast<double>(p.k + 3) * magnitude + 1e-30;
      if (!(std::fabs(got[at] - want) <= tol) && reported++ < 5) {
        ADD_FAILURE() << what << ": C(" << i << "," << j << ") = " << got[at] << ", want " << want << " ± " << tol;
      }
    }
  }
}

std::string describe(const Problem& p) {
  return std::to_string(p.m) + "x" + std::to_string(p.n) + "x" + std::to_string(p.k) + (p.ta ? " Aᵀ" : "") +
         (p.tb ? " Bᵀ" : "") + " lda=" + std::to_string(p.lda) + " ldb=" + std::to_string(p.ldb) +
         " ldc=" + std::to_string(p.ldc) + " alpha=" + std::to_string(p.alpha) + " beta=" + std::to_string(p.beta);
}

// Around the tile (6 × 16), KC (256), MC (144), NC (2048), and the degenerate ones.
const std::vector<Shape3> kEdgeShapes = {
    {1, 1, 1},    {1, 37, 19},  {29, 1, 23},  {1, 1, 300},   {6, 16, 1},    {5, 15, 7},    {7, 17, 9},
    {12, 32, 64}, {11, 31, 255}, {13, 33, 256}, {6, 16, 257}, {143, 20, 40}, {144, 47, 30}, {145, 16, 513},
    {3, 2047, 5}, {2, 2049, 3}, {32, 128, 784}, {20, 70, 128}, {40, 50, 32}};

TEST(GemmTest, EveryImplementationMatchesReferenceOnEdgeShapesAndAllTransposes) {
  std::mt19937 rng(1);
  for (const SgemmImplementation& impl : sgemm_implementations()) {
    for (const Shape3& s : kEdgeShapes) {
      for (int t = 0; t < 4; ++t) {
        Problem p(t & 1, t & 2, s, /*pad=*/3, rng);
        p.alpha = 0.75f;
        p.beta = t == 3 ? -0.5f : 0.0f;
        expect_matches_reference(p, p.run(impl.sgemm), std::string(impl.name) + " " + describe(p));
      }
    }
  }
}

TEST(GemmTest, RandomShapesStridesAlphaBeta) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::int64_t> dim(0, 70), pad(0, 40);
  const float alphas[] = {1.0f, -2.0f, 0.5f};
  const float betas[] = {0.0f, 1.0f, 0.25f};
  for (int trial = 0; trial < 120; ++trial) {
    Problem p(trial & 1, trial & 2, {dim(rng), dim(rng), dim(rng)}, pad(rng), rng);
    p.alpha = alphas[trial % 3];
    p.beta = betas[(trial / 3) % 3];
    for (const SgemmImplementation& impl : sgemm_implementations())
      expect_matches_reference(p, p.run(impl.sgemm), std::string(impl.name) + " " + describe(p));
  }
}

TEST(GemmTest, BetaZeroOverwritesNaNAndAlphaZeroReadsNeitherAnorB) {
  std::mt19937 rng(3);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const SgemmImplementation& impl : sgemm_implementations()) {
    for (const Shape3& s : {Shape3{7, 19, 5}, Shape3{33, 130, 300}, Shape3{4, 4, 0}}) {
      Problem p(false, true, s, 2, rng);
      for (float& x : p.c) x = nan;
      p.beta = 0;
      const std::vector<float> got = p.run(impl.sgemm);
      for (std::int64_t i = 0; i < p.m; ++i)
        for (std::int64_t j = 0; j < p.n; ++j) ASSERT_FALSE(std::isnan(got[i * p.ldc + j])) << impl.name << " " << describe(p);
      p.c = got;  // the padding stays NaN, which expect_matches_reference also checks
      for (std::int64_t i = 0; i < p.m; ++i)
        for (std::int64_t j = 0; j < p.n; ++j) p.c[i * p.ldc + j] = 0;
      expect_matches_reference(p, got, std::string(impl.name) + " " + describe(p));
    }
    // alpha == 0: C = beta · C exactly, NaNs in A and B notwithstanding.
    Problem q(true, false, {9, 21, 13}, 1, rng);
    for (float& x : q.a) x = nan;
    q.alpha = 0;
    q.beta = 0.5f;
    const std::vector<float> got = q.run(impl.sgemm);
    for (std::int64_t i = 0; i < q.m; ++i)
      for (std::int64_t j = 0; j < q.n; ++j) ASSERT_EQ(got[i * q.ldc + j], 0.5f * q.c[i * q.ldc + j]) << impl.name;
  }
}

TEST(GemmTest, EmptySizesAndKZero) {
  std::mt19937 rng(5);
  for (const SgemmImplementation& impl : sgemm_implementations()) {
    for (const Shape3& s : {Shape3{0, 5, 3}, Shape3{5, 0, 3}, Shape3{0, 0, 0}}) {
      Problem p(false, false, s, 1, rng);
      p.beta = 0;
      EXPECT_EQ(p.run(impl.sgemm), p.c) << impl.name << " " << describe(p);
    }
    Problem p(false, false, {5, 9, 0}, 1, rng);
    p.beta = 2.0f;
    expect_matches_reference(p, p.run(impl.sgemm), std::string(impl.name) + " K=0 beta=2");
    // Null pointers are fine when nothing is read.
    impl.sgemm(false, false, 0, 0, 0, 1.0f, nullptr, 1, nullptr, 1, 0.0f, nullptr, 1);
  }
}

// The bitwise contract of gemm_micro.h: packing A, B, both or neither gives the same
// bits, on every kernel set (shapes taken by the small in-place paths included).
TEST(GemmTest, PackingPlansAgreeBitwise) {
  std::vector<const gemm::Kernels*> kernel_sets{&gemm::portable_kernels()};
  if (const gemm::Kernels* avx2 = gemm::avx2_kernels()) kernel_sets.push_back(avx2);
  if (const gemm::Kernels* avx512 = gemm::avx512_kernels()) kernel_sets.push_back(avx512);
  const gemm::Pack packs[] = {gemm::Pack::kAlways, gemm::Pack::kNever, gemm::Pack::kAuto};
  std::mt19937 rng(11);
  for (const gemm::Kernels* kernels : kernel_sets) {
    for (const Shape3& s : {Shape3{32, 128, 784}, Shape3{31, 45, 300}, Shape3{150, 33, 17}, Shape3{7, 200, 600}}) {
      for (int t = 0; t < 4; ++t) {
        Problem p(t & 1, t & 2, s, 5, rng);
        p.beta = t == 1 ? 0.5f : 0.0f;
        std::vector<float> first;
        for (gemm::Pack pa : packs) {
          for (gemm::Pack pb : packs) {
            const std::vector<float> got = p.run([&](auto... args) { gemm::run(*kernels, {pa, pb}, args...); });
            const std::string what = std::string(kernels->name) + " plan " + std::to_string(static_cast<int>(pa)) +
                                     "/" + std::to_string(static_cast<int>(pb)) + " " + describe(p);
            expect_matches_reference(p, got, what);
            if (first.empty()) first = got;
            EXPECT_EQ(std::memcmp(got.data(), first.data(), got.size() * sizeof(float)), 0) << what;
          }
        }
      }
    }
  }
}

// The AVX-512 kernels run each C element's FMA chain exactly as the AVX2 ones do, in
// row pairs or single tiles: the same bits, so a model trains to the same weights on
// either CPU class. Shapes with row remainders of every size, partial column tiles,
// every transpose and plan, beta 0 and not.
TEST(GemmTest, Avx512AndAvx2GiveTheSameBits) {
  const gemm::Kernels* avx2 = gemm::avx2_kernels();
  const gemm::Kernels* avx512 = gemm::avx512_kernels();
  if (avx512 == nullptr || avx2 == nullptr) GTEST_SKIP() << "this CPU has no AVX-512F";
  const gemm::Pack packs[] = {gemm::Pack::kAlways, gemm::Pack::kNever};
  std::mt19937 rng(23);
  for (const Shape3& s : {Shape3{64, 64, 288}, Shape3{157, 45, 300}, Shape3{13, 33, 17}, Shape3{300, 16, 9},
                          Shape3{12, 130, 600}, Shape3{29, 7, 70}}) {
    for (int t = 0; t < 4; ++t) {
      Problem p(t & 1, t & 2, s, 3, rng);
      p.beta = t == 2 ? -1.5f : 0.0f;
      p.alpha = t == 3 ? 0.7f : 1.0f;
      for (gemm::Pack pa : packs) {
        for (gemm::Pack pb : packs) {
          const auto with = [&](const gemm::Kernels* k) {
            return p.run([&](auto... args) { gemm::run(*k, {pa, pb}, args...); });
          };
          const std::vector<float> want = with(avx2), got = with(avx512);
          const std::string what = "plan " + std::to_string(static_cast<int>(pa)) + "/" +
                                   std::to_string(static_cast<int>(pb)) + " " + describe(p);
          expect_matches_reference(p, got, what);
          ASSERT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0) << what;
        }
      }
    }
  }
}

class GemmThreadsTest : public ::testing::Test {
 protected:
  void TearDown() override { set_num_threads(saved_); }
  int saved_ = num_threads();
};

// Large enough to be split (by columns, then by rows): the same bits twice per thread
// count, and the same bits for 1 and 2 threads since no split cuts K.
TEST_F(GemmThreadsTest, DeterministicForAndAcrossThreadCounts) {
  std::mt19937 rng(13);
  for (const Shape3& s : {Shape3{150, 400, 170}, Shape3{700, 40, 400}}) {
    for (const SgemmImplementation& impl : sgemm_implementations()) {
      Problem p(false, true, s, 1, rng);
      p.beta = 1.0f;
      std::vector<std::vector<float>> runs;
      for (int threads : {1, 1, 2, 2}) {
        set_num_threads(threads);
        runs.push_back(p.run(impl.sgemm));
      }
      expect_matches_reference(p, runs[2], std::string(impl.name) + " 2 threads " + describe(p));
      for (const auto& r : runs)
        EXPECT_EQ(std::memcmp(r.data(), runs[0].data(), r.size() * sizeof(float)), 0) << impl.name << " " << describe(p);
    }
  }
}

// The MLP's products (3.2 M multiply-adds) split only under Granularity::kFine: the
// same bits either way, as for every thread count.
TEST_F(GemmThreadsTest, FineAndCoarseGranularityGiveTheSameBits) {
  std::mt19937 rng(17);
  for (const Shape3& s : {Shape3{32, 128, 784}, Shape3{784, 128, 32}}) {
    for (const SgemmImplementation& impl : sgemm_implementations()) {
      Problem p(false, false, s, 1, rng);
      set_num_threads(1);
      const std::vector<float> one = p.run(impl.sgemm);
      set_num_threads(2);
      std::vector<float> fine;
      {
        const UseGranularity use(Granularity::kFine);
        fine = p.run(impl.sgemm);
      }
      const std::vector<float> coarse = p.run(impl.sgemm);
      expect_matches_reference(p, fine, std::string(impl.name) + " fine " + describe(p));
      EXPECT_EQ(std::memcmp(fine.data(), one.data(), one.size() * sizeof(float)), 0) << impl.name << " " << describe(p);
      EXPECT_EQ(std::memcmp(coarse.data(), one.data(), one.size() * sizeof(float)), 0) << impl.name << " " << describe(p);
    }
  }
}

TEST(GemmTest, ImplementationsListFastestFirstAndPortableLast) {
  const auto impls = sgemm_implementations();
  ASSERT_FALSE(impls.empty());
  EXPECT_EQ(sgemm_implementation(), impls.front().name);
  EXPECT_EQ(impls.back().name, "portable");
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    EXPECT_EQ(sgemm_implementation(), "avx512f");
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    EXPECT_EQ(sgemm_implementation(), "avx2-fma");
  }
#endif
  std::mt19937 rng(17);
  Problem p(true, true, {13, 29, 41}, 0, rng);
  expect_matches_reference(p, p.run(sgemm_portable), "sgemm_portable " + describe(p));
  expect_matches_reference(p, p.run(sgemm), "sgemm " + describe(p));
}

TEST(GemmTest, BadArgumentsThrowWithTheirValues) {
  float x[4] = {};
  try {
    sgemm(false, false, 2, -1, 2, 1.0f, x, 2, x, 2, 0.0f, x, 2);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "sgemm: negative size M=2 N=-1 K=2");
  }
  try {
    sgemm(true, false, 3, 2, 2, 1.0f, x, 2, x, 2, 0.0f, x, 2);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(),
                 "sgemm: leading dimensions lda=2 ldb=2 ldc=2 are shorter than the rows they step over (3, 2, 2) "
                 "for M=3 N=2 K=2 with A transposed");
  }
}

}  // namespace
}  // namespace spool::kernels

namespace spool::kernels {
namespace {

Tensor random_matrix(std::int64_t rows, std::int64_t cols, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(rows * cols));
  for (float& x : v) x = u(rng);
  return Tensor::from_vector(v, Shape{rows, cols});
}

// Reference on gathered (to_vector) copies, so view handling is checked independently.
void expect_matmul(const Tensor& a, const Tensor& b, bool ta, bool tb, const std::string& what) {
  const Tensor c = matmul(a, b, ta, tb);
  const std::vector<float> av = a.to_vector<float>(), bv = b.to_vector<float>(), cv = c.to_vector<float>();
  const std::int64_t m = ta ? a.dim(1) : a.dim(0), k = ta ? a.dim(0) : a.dim(1), n = tb ? b.dim(0) : b.dim(1);
  ASSERT_EQ(c.shape(), (Shape{m, n})) << what;
  ASSERT_TRUE(c.is_contiguous()) << what;
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      double want = 0, mag = 0;
      for (std::int64_t p = 0; p < k; ++p) {
        const double x = ta ? av[p * a.dim(1) + i] : av[i * a.dim(1) + p];
        const double y = tb ? bv[j * b.dim(1) + p] : bv[p * b.dim(1) + j];
        want += x * y;
        mag += std::fabs(x * y);
      }
      ASSERT_NEAR(cv[i * n + j], want, 2.0 * FLT_EPSILON * (k + 3) * mag + 1e-30) << what << " at " << i << "," << j;
    }
  }
}

TEST(MatmulTest, ContiguousAndTransposeFlags) {
  const Tensor a = random_matrix(19, 37, 1), b = random_matrix(37, 23, 2);
  expect_matmul(a, b, false, false, "plain");
  expect_matmul(random_matrix(37, 19, 3), b, true, false, "Aᵀ");
  expect_matmul(a, random_matrix(23, 37, 4), false, true, "Bᵀ");
  expect_matmul(random_matrix(37, 19, 5), random_matrix(23, 37, 6), true, true, "AᵀBᵀ");
}

TEST(MatmulTest, NonContiguousViews) {
  const Tensor big = random_matrix(40, 50, 7);
  const Tensor at = random_matrix(37, 19, 8).transpose(0, 1);  // 19 × 37, column-major: read in place
  const Tensor b = random_matrix(37, 23, 9);
  expect_matmul(at, b, false, false, "transposed view");
  expect_matmul(at, b.transpose(0, 1), false, true, "transposed view, flag undoes it");
  expect_matmul(big.narrow(1, 3, 37).narrow(0, 5, 19), b, false, false, "narrowed (lda 50)");
  expect_matmul(big.narrow(0, 2, 37).transpose(0, 1), big.narrow(1, 1, 23).narrow(0, 0, 37), false, false,
                "narrowed transpose");
  expect_matmul(big.slice(1, 0, 50, 2).narrow(0, 0, 19), random_matrix(25, 6, 10), false, false, "step-2 columns");
  expect_matmul(Tensor::from_vector<float>({1, 2, 3}).unsqueeze(0).broadcast_to(Shape{4, 3}), b.narrow(0, 0, 3),
                false, false, "broadcast rows");
  expect_matmul(random_matrix(1, 37, 11), b, false, false, "1 × K");
  expect_matmul(random_matrix(19, 37, 12), b.narrow(1, 4, 1), false, false, "K × 1 column view");
}

TEST(MatmulTest, EmptyAndMismatchedShapes) {
  expect_matmul(random_matrix(3, 0, 1), random_matrix(0, 4, 2), false, false, "K = 0");
  EXPECT_EQ(matmul(random_matrix(0, 5, 1), random_matrix(5, 4, 2)).shape(), (Shape{0, 4}));
  try {
    matmul(random_matrix(2, 3, 1), random_matrix(4, 5, 2), false, false);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "matmul: shapes [2, 3] and [4, 5] do not fit (3 vs 4)");
  }
  try {
    matmul(random_matrix(2, 3, 1), random_matrix(4, 5, 2), true, true);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "matmul: shapes [2, 3]ᵀ and [4, 5]ᵀ do not fit (2 vs 5)");
  }
  EXPECT_THROW(matmul(Tensor::zeros(Shape{2, 2}, DType::kF64), random_matrix(2, 2, 1)), InvalidArgument);
}

}  // namespace
}  // namespace spool::kernels
