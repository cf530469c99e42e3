#include "spool/tensor/kernels/reduce.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "spool/tensor/kernels/elementwise.h"
#include "tensor/elementwise_test_util.h"

namespace spool::kernels {
namespace {

using testing::Layout;
using testing::random_view;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();

// The values of x grouped by output element (row-major over the kept axes), with a
// plain index loop.
std::vector<std::vector<double>> groups(const Tensor& x, const std::vector<bool>& reduced) {
  std::int64_t n_out = 1;
  for (std::size_t a = 0; a < reduced.size(); ++a)
    if (!reduced[a]) n_out *= x.shape().dims()[a];
  std::vector<std::vector<double>> out(static_cast<std::size_t>(n_out));
  const Tensor values = x.cast(DType::kF64);
  const auto v = values.to_vector<double>();
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const auto index = testing::unravel(i, x.shape());
    std::int64_t o = 0;
    for (std::size_t a = 0; a < reduced.size(); ++a)
      if (!reduced[a]) o = o * x.shape().dims()[a] + index[a];
    out[static_cast<std::size_t>(o)].push_back(v[static_cast<std::size_t>(i)]);
  }
  return out;
}

struct AxesCase {
  std::vector<std::int64_t> axes;  // as passed: negative, shuffled, or empty for all
  std::vector<bool> reduced;
  Shape out_shape;
};

AxesCase random_axes(const Shape& shape, bool keepdims, std::mt19937& rng) {
  const auto r = static_cast<std::int64_t>(shape.dims().size());
  AxesCase c;
  c.reduced.assign(static_cast<std::size_t>(r), false);
  const bool all = rng() % 5 == 0;
  for (std::int64_t a = 0; a < r; ++a) {
    if (!all && rng() % 2 == 0) continue;
    c.reduced[static_cast<std::size_t>(a)] = true;
    if (!all) c.axes.push_back(rng() % 2 == 0 ? a : a - r);
  }
  if (!all && c.axes.empty()) c.reduced.assign(c.reduced.size(), true);  // empty list means all
  std::shuffle(c.axes.begin(), c.axes.end(), rng);
  std::vector<std::int64_t> dims;
  for (std::int64_t a = 0; a < r; ++a) {
    if (!c.reduced[static_cast<std::size_t>(a)]) dims.push_back(shape.dims()[static_cast<std::size_t>(a)]);
    else if (keepdims) dims.push_back(1);
  }
  c.out_shape = Shape(dims);
  return c;
}

Shape random_shape(std::mt19937& rng, bool allow_empty) {
  static const std::int64_t kExtents[] = {0, 1, 2, 3, 5, 8, 13, 31};
  for (;;) {
    std::vector<std::int64_t> dims(rng() % 5);
    for (auto& d : dims) d = kExtents[(allow_empty ? 0 : 1) + rng() % (std::size(kExtents) - 1)];
    if (Shape(dims).numel() <= 5000) return Shape(dims);
  }
}

TEST(ReduceSum, MatchesReferenceOnRandomShapesAxesAndLayouts) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 150; ++trial) {
    const DType dtype = trial % 3 == 0 ? DType::kI32 : (trial % 3 == 1 ? DType::kF32 : DType::kF64);
    const Tensor x = random_view(random_shape(rng, true), dtype, Layout(trial % 4), rng);
    const bool keepdims = rng() % 2 == 0;
    const AxesCase c = random_axes(x.shape(), keepdims, rng);
    SCOPED_TRACE(x.shape().to_string() + " " + dtype_name(dtype).data() + " keepdims " + std::to_string(keepdims));
    const Tensor s = sum(x, c.axes, keepdims);
    const Tensor m = mean(x, c.axes, keepdims);
    ASSERT_EQ(s.shape(), c.out_shape);
    ASSERT_EQ(m.shape(), c.out_shape);
    ASSERT_EQ(s.dtype(), dtype == DType::kI32 ? DType::kI64 : dtype);
    ASSERT_EQ(m.dtype(), dtype == DType::kI32 ? DType::kF64 : dtype);
    const auto g = groups(x, c.reduced);
    const auto vs = s.cast(DType::kF64).to_vector<double>();
    const auto vm = m.cast(DType::kF64).to_vector<double>();
    ASSERT_EQ(vs.size(), g.size());
    for (std::size_t o = 0; o < g.size(); ++o) {
      double want = 0, scale = 0;
      for (double v : g[o]) want += v, scale += std::abs(v);
      EXPECT_NEAR(vs[o], want, 1e-6 * scale) << o;
      if (g[o].empty()) EXPECT_TRUE(std::isnan(vm[o]));
      else EXPECT_NEAR(vm[o], want / static_cast<double>(g[o].size()), 1e-6 * scale / static_cast<double>(g[o].size()));
    }
  }
}

TEST(ReduceMaxMin, MatchesReferenceOnRandomShapesAxesAndLayouts) {
  std::mt19937 rng(12);
  for (int trial = 0; trial < 150; ++trial) {
    const DType dtype = trial % 2 == 0 ? DType::kI64 : DType::kF32;
    const Tensor x = random_view(random_shape(rng, false), dtype, Layout(trial % 4), rng, -100, 100);
    const bool keepdims = rng() % 2 == 0;
    const AxesCase c = random_axes(x.shape(), keepdims, rng);
    const Tensor hi = max(x, c.axes, keepdims), lo = min(x, c.axes, keepdims);
    ASSERT_EQ(hi.shape(), c.out_shape);
    ASSERT_EQ(hi.dtype(), dtype);
    const auto g = groups(x, c.reduced);
    const auto vh = hi.cast(DType::kF64).to_vector<double>(), vl = lo.cast(DType::kF64).to_vector<double>();
    for (std::size_t o = 0; o < g.size(); ++o) {
      EXPECT_EQ(vh[o], *std::max_element(g[o].begin(), g[o].end()));
      EXPECT_EQ(vl[o], *std::min_element(g[o].begin(), g[o].end()));
    }
  }
}

TEST(ReduceAxes, NegativeEmptyDuplicateAndOutOfRange) {
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  EXPECT_EQ(sum(x, {-1}).to_vector<float>(), (std::vector<float>{6, 15}));
  EXPECT_EQ(sum(x, {-2}, true).shape(), (Shape{1, 3}));
  EXPECT_EQ(sum(x).shape(), Shape{});
  EXPECT_EQ(sum(x).item<float>(), 21);
  EXPECT_EQ(sum(x, {}, true).shape(), (Shape{1, 1}));
  EXPECT_EQ(sum(Tensor::scalar<float>(4)).item<float>(), 4);
  try {
    sum(x, {1, -1});
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "sum: axis 1 given twice for shape [2, 3]");
  }
  EXPECT_THROW(sum(x, {2}), OutOfRange);
  EXPECT_THROW(max(x, {-3}), OutOfRange);
}

TEST(ReduceEmpty, SumIsZeroMaxThrowsNamingTheAxis) {
  const Tensor e = Tensor::zeros(Shape{0, 3}, DType::kF32);
  EXPECT_EQ(sum(e, {0}).to_vector<float>(), (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(sum(e).item<float>(), 0);
  EXPECT_TRUE(std::isnan(mean(e).item<float>()));
  EXPECT_EQ(max(e, {1}).shape(), (Shape{0}));  // nothing to reduce, nothing to fill
  try {
    max(e, {0});
    FAIL() << "no exception";
  } catch (const InvalidArgument& e2) {
    EXPECT_STREQ(e2.what(), "max: cannot reduce over axis 0 of extent 0 in shape [0, 3] (no identity)");
  }
  EXPECT_THROW(min(e), InvalidArgument);
  EXPECT_THROW(argmax(Tensor::zeros(Shape{2, 0}, DType::kF32), 1), InvalidArgument);
  EXPECT_EQ(logsumexp(e, {0}).to_vector<float>()[0], -kInf);
}

TEST(ReduceArgmax, FirstIndexOnTiesFirstNaNAnyLayout) {
  EXPECT_EQ(argmax(Tensor::from_vector<float>({1, 3, 3, 2}), 0).item<std::int64_t>(), 1);
  EXPECT_EQ(argmax(Tensor::from_vector<float>({1, kNaNf, 5, kNaNf}), 0).item<std::int64_t>(), 1);
  EXPECT_EQ(argmax(Tensor::from_vector<std::int32_t>({-5, -5, -7}), -1).item<std::int64_t>(), 0);
  const Tensor x = Tensor::from_vector<float>({1, 9, 9, 7, 2, 7}, Shape{2, 3});
  EXPECT_EQ(argmax(x, 1).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0}));
  EXPECT_EQ(argmax(x, 0).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0, 0}));
  EXPECT_EQ(argmax(x, 0, true).shape(), (Shape{1, 3}));
  EXPECT_EQ(argmax(x.transpose(0, 1), 0).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0}));
  EXPECT_EQ(argmax(x, 1).dtype(), DType::kI64);
  EXPECT_TRUE(std::isnan(max(Tensor::from_vector<float>({1, kNaNf, 5}), {0}).item<float>()));
}

TEST(ReduceLogsumexp, StableForLargeInfiniteAndRandomValues) {
  const Tensor big = Tensor::from_vector<float>({1000, 1000});
  EXPECT_FLOAT_EQ(logsumexp(big).item<float>(), 1000 + std::log(2.0f));
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor rows = Tensor::from_vector<float>({-inf, -inf, inf, 1, -inf, 0}, Shape{3, 2});
  const auto v = logsumexp(rows, {1}).to_vector<float>();
  EXPECT_EQ(v[0], -inf);
  EXPECT_EQ(v[1], inf);
  EXPECT_FLOAT_EQ(v[2], 0);
  EXPECT_EQ(logsumexp(rows, {1}, true).shape(), (Shape{3, 1}));
  EXPECT_THROW(logsumexp(Tensor::ones(Shape{2}, DType::kI32)), InvalidArgument);
  std::mt19937 rng(13);
  for (int trial = 0; trial < 40; ++trial) {
    const Tensor x = random_view(random_shape(rng, false), DType::kF64, Layout(trial % 4), rng, -20, 20);
    const AxesCase c = random_axes(x.shape(), false, rng);
    const auto got = logsumexp(x, c.axes).to_vector<double>();
    const auto g = groups(x, c.reduced);
    for (std::size_t o = 0; o < g.size(); ++o) {
      double s = 0;
      for (double e : g[o]) s += std::exp(e);
      EXPECT_NEAR(got[o], std::log(s), 1e-9);
    }
  }
}

TEST(ReduceSumTo, InvertsBroadcastOnManyShapePairs) {
  std::mt19937 rng(14);
  for (int trial = 0; trial < 150; ++trial) {
    const Shape target = random_shape(rng, trial % 5 == 0);
    std::vector<std::int64_t> dims = target.dims();
    dims.erase(dims.begin(), dims.begin() + static_cast<std::ptrdiff_t>(rng() % (dims.size() + 1)));
    for (auto& d : dims)
      if (rng() % 3 == 0) d = 1;
    const Shape source(dims);
    SCOPED_TRACE(source.to_string() + " -> " + target.to_string());
    // Integer values: every sum is exact, whatever the order.
    const Tensor x = random_view(source, DType::kI32, Layout::kContiguous, rng, -9, 9).cast(DType::kF32);
    const Tensor back = sum_to(x.broadcast_to(target), source);
    ASSERT_EQ(back.shape(), source);
    const double copies = source.numel() == 0 ? 0 : static_cast<double>(target.numel()) / static_cast<double>(source.numel());
    EXPECT_EQ(back.to_vector<float>(), mul(x, copies).to_vector<float>());
    // A gradient of the target's shape, in any layout: each source element sums the
    // positions it fed (i32 in, i64 out, so the reference is exact too).
    const Tensor dy = random_view(target, DType::kI32, Layout(trial % 4), rng, -9, 9);
    const Tensor dx = sum_to(dy, source);
    std::vector<std::int64_t> want(static_cast<std::size_t>(source.numel()), 0);
    const auto vdy = dy.to_vector<std::int32_t>();
    for (std::int64_t i = 0; i < target.numel(); ++i)
      want[static_cast<std::size_t>(testing::broadcast_source(testing::unravel(i, target), source))] += vdy[static_cast<std::size_t>(i)];
    EXPECT_EQ(dx.to_vector<std::int64_t>(), want);
  }
  const Tensor x = Tensor::ones(Shape{2, 3}, DType::kF32);
  try {
    sum_to(x, Shape{4});
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "sum_to: shape [4] does not broadcast to [2, 3]");
  }
  EXPECT_THROW(sum_to(x, Shape{1, 2, 3, 1}), InvalidArgument);
  const Tensor same = sum_to(x, Shape{2, 3});
  EXPECT_NE(same.storage(), x.storage());  // a new tensor, safe to accumulate into
}

TEST(ReduceDtypes, IntegerSumsDoNotOverflowTheInputType) {
  const Tensor mask = Tensor::ones(Shape{1000}, DType::kU8);
  EXPECT_EQ(sum(mask).dtype(), DType::kI64);
  EXPECT_EQ(sum(mask).item<std::int64_t>(), 1000);
  EXPECT_DOUBLE_EQ(mean(Tensor::from_vector<std::int32_t>({1, 2})).item<double>(), 1.5);
  EXPECT_EQ(sum(Tensor::from_vector<std::int32_t>({-3, 1})).item<std::int64_t>(), -2);
  EXPECT_EQ(sum_to(Tensor::ones(Shape{4, 2}, DType::kI32), Shape{2}).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{4, 4}));
}

// Summing columns (a tile of adjacent outputs at once) must keep each output's own
// order: the same bits as summing the rows of the transposed copy.
TEST(ReduceSum, ColumnsGiveTheBitsOfRows) {
  std::mt19937 rng(16);
  for (const Shape& shape : {Shape{300, 37}, Shape{9, 16}, Shape{1000, 5}, Shape{3, 4, 70}}) {
    const Tensor x = random_view(shape, DType::kF32, Layout::kContiguous, rng);
    const Tensor columns = sum(x, {0});
    const Tensor rows = sum(x.transpose(0, -1).contiguous(), {-1});
    EXPECT_TRUE(testing::same_bits(columns, rows.transpose(0, -1).contiguous().reshape(columns.shape())))
        << shape.to_string();
  }
}

// The split paths: one long reduction (split over the reduced range) and many short
// ones (split over outputs). Repeated runs agree bitwise at each thread count.
TEST(ReduceDeterminism, RepeatedRunsAreBitwiseSame) {
  std::mt19937 rng(15);
  const Tensor x = random_view(Shape{1000003}, DType::kF32, Layout::kContiguous, rng);
  const Tensor rows = random_view(Shape{2003, 301}, DType::kF32, Layout::kTransposed, rng);
  double total_one = 0;
  for (int threads : {1, 2}) {
    testing::ScopedThreads scoped(threads);
    const Tensor first = sum(x), cols = sum(rows, {0}), lse = logsumexp(rows, {1});
    for (int repeat = 0; repeat < 3; ++repeat) {
      EXPECT_TRUE(testing::same_bits(sum(x), first)) << threads;
      EXPECT_TRUE(testing::same_bits(sum(rows, {0}), cols)) << threads;
      EXPECT_TRUE(testing::same_bits(logsumexp(rows, {1}), lse)) << threads;
    }
    if (threads == 1) total_one = first.item<float>();
    else EXPECT_NEAR(first.item<float>(), total_one, 1e-3);
  }
  double want = 0;
  for (float v : x.to_vector<float>()) want += v;
  EXPECT_NEAR(total_one, want, 1e-2);
}

}  // namespace
}  // namespace spool::kernels
