#include "spool/tensor/random.h"

#include <gtest/gtest.h>

#include <cmath>

namespace spool {
namespace {

// Known-answer vectors of the Random123 distribution (kat_vectors, philox4x32 10).
TEST(RandomTest, PhiloxMatchesRandom123KnownAnswers) {
  EXPECT_EQ(philox4x32({0, 0, 0, 0}, {0, 0}),
            (std::array<std::uint32_t, 4>{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}));
  EXPECT_EQ(philox4x32({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu}),
            (std::array<std::uint32_t, 4>{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}));
  EXPECT_EQ(philox4x32({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, {0xa4093822u, 0x299f31d0u}),
            (std::array<std::uint32_t, 4>{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}));
}

TEST(RandomTest, SameSeedSameNumbersAndPositionRestores) {
  Generator a(42), b(42), c(43);
  std::vector<std::uint32_t> xa, xb, xc;
  for (int i = 0; i < 10; ++i) {
    xa.push_back(a.next_u32());
    xb.push_back(b.next_u32());
    xc.push_back(c.next_u32());
  }
  EXPECT_EQ(xa, xb);
  EXPECT_NE(xa, xc);
  Generator d(42);
  d.set_position(1);  // skip the first 4-word block
  EXPECT_EQ(d.next_u32(), xa[4]);
}

TEST(RandomTest, ForksAndStreamsAreDistinctAndReproducible) {
  Generator g(7);
  EXPECT_EQ(g.fork(1).next_u64(), g.fork(1).next_u64());
  EXPECT_NE(g.fork(1).next_u64(), g.fork(2).next_u64());
  EXPECT_NE(Generator(7, 1).next_u64(), Generator(7, 2).next_u64());
  EXPECT_EQ(g.position(), 0u);  // forking does not advance the parent
}

TEST(RandomTest, DistributionsHaveTheRightMoments) {
  Generator g(1);
  const int n = 200000;
  Tensor u = random_uniform(Shape{n}, -1, 3, g);
  Tensor z = random_normal(Shape{n}, 2, 0.5, g);
  Tensor t = truncated_normal(Shape{n}, 0, 1, g);
  auto moments = [](const Tensor& x) {
    double s = 0, s2 = 0, lo = 1e9, hi = -1e9;
    for (float v : x.to_vector<float>()) {
      s += v;
      s2 += double(v) * v;
      lo = std::min<double>(lo, v);
      hi = std::max<double>(hi, v);
    }
    const double mean = s / double(x.numel());
    return std::array<double, 4>{mean, std::sqrt(s2 / double(x.numel()) - mean * mean), lo, hi};
  };
  auto mu = moments(u);
  EXPECT_NEAR(mu[0], 1.0, 0.02);
  EXPECT_NEAR(mu[1], 4 / std::sqrt(12.0), 0.02);
  EXPECT_GE(mu[2], -1.0);
  EXPECT_LT(mu[3], 3.0);
  auto mz = moments(z);
  EXPECT_NEAR(mz[0], 2.0, 0.01);
  EXPECT_NEAR(mz[1], 0.5, 0.01);
  auto mt = moments(t);
  EXPECT_NEAR(mt[1], 0.87962566103423978, 0.01);
  EXPECT_GE(mt[2], -2.0);
  EXPECT_LE(mt[3], 2.0);
}

TEST(RandomTest, InitialisersUseKerasFans) {
  EXPECT_EQ(compute_fans(Shape{3, 3, 16, 32}).in, 144);
  EXPECT_EQ(compute_fans(Shape{3, 3, 16, 32}).out, 288);
  Generator g(5);
  Tensor w = glorot_uniform(Shape{784, 128}, g);
  const double limit = std::sqrt(6.0 / (784 + 128));
  double max_abs = 0;
  for (float v : w.to_vector<float>()) max_abs = std::max<double>(max_abs, std::abs(v));
  EXPECT_LE(max_abs, limit);
  EXPECT_GT(max_abs, 0.95 * limit);
  Tensor h = he_normal(Shape{1000, 100}, g);
  double s2 = 0;
  for (float v : h.to_vector<float>()) s2 += double(v) * v;
  EXPECT_NEAR(std::sqrt(s2 / 100000), std::sqrt(2.0 / 1000), 0.002);
}

}  // namespace
}  // namespace spool
