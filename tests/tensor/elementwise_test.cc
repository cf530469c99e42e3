#include "spool/tensor/kernels/elementwise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "tensor/elementwise_test_util.h"

namespace spool::kernels {
namespace {

using testing::broadcast_source;
using testing::Layout;
using testing::random_view;
using testing::unravel;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

template <typename T>
bool same_value(T x, T y) {
  return std::memcmp(&x, &y, sizeof(T)) == 0;
}

// A random output shape with awkward extents (0, 1, odd, 1×N, N×1), not too large.
Shape random_shape(std::mt19937& rng) {
  static const std::int64_t kExtents[] = {0, 1, 1, 2, 3, 5, 7, 17, 33};
  for (;;) {
    std::vector<std::int64_t> dims(rng() % 5);
    for (auto& d : dims) d = kExtents[rng() % std::size(kExtents)];
    if (rng() % 8 == 0) dims = rng() % 2 == 0 ? std::vector<std::int64_t>{1, 33} : std::vector<std::int64_t>{33, 1};
    const Shape s(dims);
    if (s.numel() <= 4000) return s;
  }
}

// An operand shape that broadcasts to `out`: some leading axes dropped, some set to 1.
Shape operand_shape(const Shape& out, std::mt19937& rng) {
  std::vector<std::int64_t> dims = out.dims();
  dims.erase(dims.begin(), dims.begin() + static_cast<std::ptrdiff_t>(rng() % (dims.size() + 1) / 2));
  for (auto& d : dims)
    if (rng() % 3 == 0) d = 1;
  return Shape(dims);
}

// The broadcast of shapes cut from a common `out`, worked out axis by axis.
Shape expected_shape(const Shape& out, const Shape& a, const Shape& b) {
  const std::size_t r = std::max(a.dims().size(), b.dims().size());
  std::vector<std::int64_t> dims;
  for (std::size_t d = out.dims().size() - r; d < out.dims().size(); ++d) {
    const std::size_t from_end = out.dims().size() - d;
    const auto extent = [&](const Shape& s) { return from_end <= s.dims().size() ? s.dims()[s.dims().size() - from_end] : 1; };
    dims.push_back(extent(a) != 1 || extent(b) != 1 ? out.dims()[d] : 1);
  }
  return Shape(dims);
}

// fn(a, b) against ref applied per element with plain index arithmetic, over random
// shapes and layouts; values compared bit for bit.
template <typename T, typename R, typename Fn, typename Ref>
void check_binary(const char* name, Fn fn, Ref ref, double lo, double hi, int trials = 120) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < trials; ++trial) {
    const Shape out = random_shape(rng);
    const Tensor a = random_view(operand_shape(out, rng), dtype_of<T>(), Layout(rng() % 4), rng, lo, hi);
    const Tensor b = random_view(operand_shape(out, rng), dtype_of<T>(), Layout(rng() % 4), rng, lo, hi);
    SCOPED_TRACE(std::string(name) + " " + a.shape().to_string() + " with " + b.shape().to_string());
    const Tensor got = fn(a, b);
    const Shape shape = expected_shape(out, a.shape(), b.shape());
    ASSERT_EQ(got.shape(), shape);
    ASSERT_EQ(got.dtype(), dtype_of<R>());
    ASSERT_TRUE(got.is_contiguous());
    const auto va = a.to_vector<T>(), vb = b.to_vector<T>();
    const auto vg = got.to_vector<R>();
    for (std::int64_t i = 0; i < shape.numel(); ++i) {
      const auto index = unravel(i, shape);
      const R want = static_cast<R>(ref(va[broadcast_source(index, a.shape())], vb[broadcast_source(index, b.shape())]));
      ASSERT_TRUE(same_value(vg[i], want)) << "at " << i << ": " << +vg[i] << " vs " << +want;
    }
  }
}

TEST(ElementwiseBinary, ArithmeticMatchesReferenceOnRandomShapesAndLayouts) {
  check_binary<float, float>("add", [](auto& a, auto& b) { return add(a, b); }, [](float x, float y) { return x + y; }, -3, 3);
  check_binary<float, float>("sub", [](auto& a, auto& b) { return sub(a, b); }, [](float x, float y) { return x - y; }, -3, 3);
  check_binary<double, double>("mul", [](auto& a, auto& b) { return mul(a, b); }, [](double x, double y) { return x * y; }, -3, 3);
  check_binary<float, float>("div", [](auto& a, auto& b) { return div(a, b); }, [](float x, float y) { return x / y; }, 0.5, 3);
  check_binary<float, float>("pow", [](auto& a, auto& b) { return pow(a, b); },
                             [](float x, float y) { return std::pow(x, y); }, 0.1, 3);
  check_binary<float, float>("maximum", [](auto& a, auto& b) { return maximum(a, b); },
                             [](float x, float y) { return x > y ? x : y; }, -3, 3);
  check_binary<std::int32_t, std::int32_t>("minimum", [](auto& a, auto& b) { return minimum(a, b); },
                                           [](std::int32_t x, std::int32_t y) { return x < y ? x : y; }, -50, 50);
  check_binary<std::int64_t, std::int64_t>("sub", [](auto& a, auto& b) { return sub(a, b); },
                                           [](std::int64_t x, std::int64_t y) { return x - y; }, -50, 50);
  check_binary<std::uint8_t, std::uint8_t>("add", [](auto& a, auto& b) { return add(a, b); },
                                           [](std::uint8_t x, std::uint8_t y) { return x + y; }, 0, 255);
}

TEST(ElementwiseCompare, MatchesReferenceAndReturnsU8) {
  check_binary<float, std::uint8_t>("less", [](auto& a, auto& b) { return less(a, b); },
                                    [](float x, float y) { return x < y; }, -2, 2);
  check_binary<std::int32_t, std::uint8_t>("equal", [](auto& a, auto& b) { return equal(a, b); },
                                           [](std::int32_t x, std::int32_t y) { return x == y; }, -2, 2);
  check_binary<double, std::uint8_t>("greater_equal", [](auto& a, auto& b) { return greater_equal(a, b); },
                                     [](double x, double y) { return x >= y; }, -2, 2);
  const Tensor x = Tensor::from_vector<float>({1, kNaN, 3});
  const Tensor nan = Tensor::from_vector<float>({kNaN});
  EXPECT_EQ(equal(x, nan).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{0, 0, 0}));
  EXPECT_EQ(not_equal(x, nan).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{1, 1, 1}));
  EXPECT_EQ(less_equal(x, 3.0).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{1, 0, 1}));
  EXPECT_EQ(greater(x, 1.0).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{0, 0, 1}));
  EXPECT_EQ(not_equal(x, 1.0).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{0, 1, 1}));
}

TEST(ElementwiseBinary, NamedBroadcastCases) {
  const Tensor col = Tensor::from_vector<float>({1, 2, 3}, Shape{3, 1});
  const Tensor row = Tensor::from_vector<float>({10, 20}, Shape{1, 2});
  EXPECT_EQ(add(col, row).shape(), (Shape{3, 2}));
  EXPECT_EQ(add(col, row).to_vector<float>(), (std::vector<float>{11, 21, 12, 22, 13, 23}));
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  const Tensor bias = Tensor::from_vector<float>({100, 200, 300});
  EXPECT_EQ(add(x, bias).to_vector<float>(), (std::vector<float>{101, 202, 303, 104, 205, 306}));
  EXPECT_EQ(add(x, Tensor::scalar<float>(1)).shape(), (Shape{2, 3}));
  EXPECT_EQ(add(Tensor::zeros(Shape{0, 3}, DType::kF32), bias).shape(), (Shape{0, 3}));
}

TEST(ElementwiseBinary, ScalarsTakeTheTensorsDtype) {
  const Tensor x = Tensor::from_vector<float>({1, 2, 4});
  EXPECT_EQ(add(x, 2).to_vector<float>(), (std::vector<float>{3, 4, 6}));
  EXPECT_EQ(sub(2.0f, x).to_vector<float>(), (std::vector<float>{1, 0, -2}));
  EXPECT_EQ(mul(x, 0.5).to_vector<float>(), (std::vector<float>{0.5, 1, 2}));
  EXPECT_EQ(div(1, x).to_vector<float>(), (std::vector<float>{1, 0.5, 0.25}));
  EXPECT_EQ(div(x, 4).to_vector<float>(), (std::vector<float>{0.25, 0.5, 1}));
  EXPECT_EQ(neg(x).to_vector<float>(), (std::vector<float>{-1, -2, -4}));
  EXPECT_EQ(maximum(x, 2.0).to_vector<float>(), (std::vector<float>{2, 2, 4}));
  EXPECT_EQ(minimum(x, 2.0).to_vector<float>(), (std::vector<float>{1, 2, 2}));
  EXPECT_EQ(pow(x, 2.0).to_vector<float>(), (std::vector<float>{1, 4, 16}));
  const Tensor i = Tensor::from_vector<std::int32_t>({1, -2});
  EXPECT_EQ(add(i, 3).dtype(), DType::kI32);
  EXPECT_EQ(mul(3.0, i).to_vector<std::int32_t>(), (std::vector<std::int32_t>{3, -6}));
  try {
    add(i, 2.5);
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "add: scalar 2.5 is not representable as i32");
  }
  EXPECT_THROW(add(Tensor::from_vector<std::uint8_t>({1}), 256), InvalidArgument);
  EXPECT_THROW(add(Tensor::from_vector<std::uint8_t>({1}), -1), InvalidArgument);
  EXPECT_EQ(add(Tensor::from_vector<std::uint8_t>({1}), 255).to_vector<std::uint8_t>()[0], 0);
}

TEST(ElementwiseBinary, DtypeRulesAreExplicit) {
  try {
    add(Tensor::zeros(Shape{2}, DType::kF32), Tensor::zeros(Shape{2}, DType::kF64));
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "add: dtype mismatch f32 vs f64 (cast one operand first)");
  }
  try {
    div(Tensor::ones(Shape{2}, DType::kI32), Tensor::ones(Shape{2}, DType::kI32));
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "div: needs f32 or f64, got i32 (cast first)");
  }
  EXPECT_THROW(exp(Tensor::ones(Shape{2}, DType::kI64)), InvalidArgument);
  EXPECT_THROW(neg(Tensor::ones(Shape{2}, DType::kU8)), InvalidArgument);
  EXPECT_THROW(less(Tensor::ones(Shape{2}, DType::kU8), Tensor::ones(Shape{2}, DType::kI32)), InvalidArgument);
}

TEST(ElementwiseBinary, IntegersWrapAndNaNPropagates) {
  constexpr auto kMax32 = std::numeric_limits<std::int32_t>::max();
  constexpr auto kMin32 = std::numeric_limits<std::int32_t>::min();
  const Tensor big = Tensor::from_vector<std::int32_t>({kMax32, kMin32});
  EXPECT_EQ(add(big, 1).to_vector<std::int32_t>(), (std::vector<std::int32_t>{kMin32, kMin32 + 1}));
  EXPECT_EQ(neg(big).to_vector<std::int32_t>(), (std::vector<std::int32_t>{-kMax32, kMin32}));
  EXPECT_EQ(abs(big).to_vector<std::int32_t>(), (std::vector<std::int32_t>{kMax32, kMin32}));
  EXPECT_EQ(mul(big, big).to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 0}));
  const Tensor u = Tensor::from_vector<std::uint8_t>({200, 16});
  EXPECT_EQ(add(u, u).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{144, 32}));
  EXPECT_EQ(mul(u, u).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{64, 0}));
  const Tensor a = Tensor::from_vector<float>({kNaN, 1, 2});
  const Tensor b = Tensor::from_vector<float>({1, kNaN, 1});
  for (const Tensor& t : {maximum(a, b), maximum(b, a), minimum(a, b), minimum(b, a)}) {
    const auto v = t.to_vector<float>();
    EXPECT_TRUE(std::isnan(v[0]) && std::isnan(v[1])) << t;
  }
  EXPECT_EQ(maximum(a, b).to_vector<float>()[2], 2);
  EXPECT_EQ(minimum(a, b).to_vector<float>()[2], 1);
}

template <typename T, typename Fn, typename Ref>
void check_unary(const char* name, Fn fn, Ref ref, double lo, double hi) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 40; ++trial) {
    const Tensor x = random_view(random_shape(rng), dtype_of<T>(), Layout(trial % 4), rng, lo, hi);
    SCOPED_TRACE(std::string(name) + " " + x.shape().to_string() + " " + layout_name(Layout(trial % 4)));
    const Tensor y = fn(x);
    ASSERT_EQ(y.shape(), x.shape());
    ASSERT_EQ(y.dtype(), x.dtype());
    const auto vx = x.to_vector<T>(), vy = y.to_vector<T>();
    for (std::size_t i = 0; i < vx.size(); ++i)
      ASSERT_TRUE(same_value(vy[i], static_cast<T>(ref(vx[i])))) << vx[i] << " -> " << vy[i];
  }
}

TEST(ElementwiseUnary, MatchesStdOnRandomShapesAndLayouts) {
  check_unary<float>("exp", [](auto& x) { return exp(x); }, [](float v) { return std::exp(v); }, -5, 5);
  check_unary<double>("log", [](auto& x) { return log(x); }, [](double v) { return std::log(v); }, 0.01, 5);
  check_unary<float>("sqrt", [](auto& x) { return sqrt(x); }, [](float v) { return std::sqrt(v); }, 0, 5);
  check_unary<float>("rsqrt", [](auto& x) { return rsqrt(x); }, [](float v) { return 1 / std::sqrt(v); }, 0.1, 5);
  check_unary<float>("tanh", [](auto& x) { return tanh(x); }, [](float v) { return std::tanh(v); }, -5, 5);
  check_unary<double>("sigmoid", [](auto& x) { return sigmoid(x); },
                      [](double v) { return 1 / (1 + std::exp(-v)); }, -9, 9);
  check_unary<float>("square", [](auto& x) { return square(x); }, [](float v) { return v * v; }, -5, 5);
  check_unary<std::int64_t>("abs", [](auto& x) { return abs(x); }, [](std::int64_t v) { return v < 0 ? -v : v; },
                            -50, 50);
  check_unary<std::int32_t>("relu", [](auto& x) { return relu(x); }, [](std::int32_t v) { return v > 0 ? v : 0; },
                            -50, 50);
  check_unary<float>("sign", [](auto& x) { return sign(x); }, [](float v) { return float((v > 0) - (v < 0)); }, -3, 3);
  check_unary<double>("neg", [](auto& x) { return neg(x); }, [](double v) { return -v; }, -3, 3);
}

TEST(ElementwiseUnary, EdgeValues) {
  const Tensor x = Tensor::from_vector<float>({-1000, 1000, kNaN, -0.0f, kInf});
  const auto s = sigmoid(x).to_vector<float>();
  EXPECT_EQ(s[0], 0);
  EXPECT_EQ(s[1], 1);
  EXPECT_TRUE(std::isnan(s[2]));
  EXPECT_EQ(s[4], 1);
  const auto r = relu(x).to_vector<float>();
  EXPECT_EQ(r[0], 0);
  EXPECT_TRUE(std::isnan(r[2]));
  const auto g = sign(x).to_vector<float>();
  EXPECT_EQ(g[0], -1);
  EXPECT_TRUE(std::isnan(g[2]));
  EXPECT_TRUE(std::signbit(g[3]));
  EXPECT_EQ(abs(x).to_vector<float>()[0], 1000);
  EXPECT_EQ(sign(Tensor::from_vector<std::int32_t>({-7, 0, 9})).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{-1, 0, 1}));
}

TEST(ElementwiseWhere, BroadcastsAllThree) {
  std::mt19937 rng(5);
  const Tensor cond = random_view(Shape{2, 1, 3}, DType::kU8, Layout::kContiguous, rng, 0, 1);
  const Tensor a = random_view(Shape{4, 1}, DType::kF32, Layout::kContiguous, rng);
  const Tensor b = random_view(Shape{3}, DType::kF32, Layout::kStepped, rng);
  const Tensor w = where(cond, a, b);
  ASSERT_EQ(w.shape(), (Shape{2, 4, 3}));
  const auto vc = cond.to_vector<std::uint8_t>();
  const auto va = a.to_vector<float>(), vb = b.to_vector<float>(), vw = w.to_vector<float>();
  for (std::int64_t i = 0; i < w.numel(); ++i) {
    const auto index = unravel(i, w.shape());
    const bool c = vc[broadcast_source(index, cond.shape())] != 0;
    EXPECT_EQ(vw[i], c ? va[broadcast_source(index, a.shape())] : vb[broadcast_source(index, b.shape())]) << i;
  }
  const Tensor x = Tensor::from_vector<float>({-1, 2, -3});
  EXPECT_EQ(where(greater(x, 0.0), x, 0.0).to_vector<float>(), (std::vector<float>{0, 2, 0}));
  EXPECT_EQ(where(greater(x, 0.0), 1.0, x).to_vector<float>(), (std::vector<float>{-1, 1, -3}));
  try {
    where(Tensor::ones(Shape{3}, DType::kF32), x, x);
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "where: the condition must be u8, got f32");
  }
  EXPECT_THROW(where(Tensor::ones(Shape{2}, DType::kU8), x, x), InvalidArgument);
}

TEST(ElementwiseInPlace, UpdatesTheOutputItsViewsAndAliases) {
  Tensor w = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  Tensor alias = w;  // a copy aliases: it sees the update
  add_(w, Tensor::from_vector<float>({10, 20, 30}));
  EXPECT_EQ(alias.to_vector<float>(), (std::vector<float>{11, 22, 33, 14, 25, 36}));
  axpy_(w, -0.5, Tensor::full(Shape{2, 3}, 2, DType::kF32));
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{10, 21, 32, 13, 24, 35}));
  mul_(w, 2.0);
  sub_(w, Tensor::scalar<float>(1));
  div_(w, Tensor::scalar<float>(2));
  add_(w, 0.5);
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{10, 21, 32, 13, 24, 35}));
  // A transposed (strided) output.
  Tensor wt = w.transpose(0, 1);
  add_(wt, Tensor::from_vector<float>({1, 2}));
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{11, 22, 33, 15, 26, 37}));
  // x is out itself, then a shifted view of out's storage: reads see the old values.
  add_(w, w);
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{22, 44, 66, 30, 52, 74}));
  Tensor v = Tensor::from_vector<float>({1, 2, 3, 4, 5});
  Tensor head = v.narrow(0, 1, 4);
  add_(head, v.narrow(0, 0, 4));
  EXPECT_EQ(v.to_vector<float>(), (std::vector<float>{1, 3, 5, 7, 9}));
}

TEST(ElementwiseInPlace, RejectsGrowthOverlapAndDtype) {
  Tensor w = Tensor::zeros(Shape{2, 3}, DType::kF32);
  try {
    add_(w, Tensor::zeros(Shape{4}, DType::kF32));
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "add_: cannot broadcast shape [4] to the output's [2, 3]");
  }
  Tensor row = Tensor::zeros(Shape{3}, DType::kF32);
  EXPECT_THROW(add_(row, w), InvalidArgument);  // out never grows
  Tensor bcast = row.broadcast_to(Shape{2, 3});
  EXPECT_THROW(add_(bcast, w), InvalidArgument);
  EXPECT_THROW(add_(w, Tensor::zeros(Shape{2, 3}, DType::kF64)), InvalidArgument);
  Tensor ints = Tensor::zeros(Shape{2}, DType::kI32);
  EXPECT_THROW(axpy_(ints, 1.0, ints), InvalidArgument);
}

// Large enough for several blocks per thread, odd so the last block is partial.
TEST(ElementwiseDeterminism, BitwiseSameForOneAndTwoThreads) {
  std::mt19937 rng(3);
  const Shape big{601, 503};
  const Tensor a = random_view(big, DType::kF32, Layout::kContiguous, rng);
  const Tensor b = random_view(big, DType::kF32, Layout::kContiguous, rng);
  const Tensor bias = random_view(Shape{503}, DType::kF32, Layout::kContiguous, rng);
  const Tensor at = random_view(big, DType::kF32, Layout::kTransposed, rng);
  const Tensor cond = greater(b, 0.0);
  const auto run = [&] {
    std::vector<Tensor> r = {add(a, b), mul(a, bias), exp(at), sub(at, b), where(cond, a, at), less(a, at), a.clone()};
    axpy_(r.back(), 0.1, b);
    return r;
  };
  std::vector<Tensor> one, two;
  {
    testing::ScopedThreads threads(1);
    one = run();
  }
  {
    testing::ScopedThreads threads(2);
    two = run();
  }
  ASSERT_EQ(one.size(), two.size());
  for (std::size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(testing::same_bits(one[i], two[i])) << "result " << i;
  // And the split result is the right one, not merely a stable one.
  const auto va = a.to_vector<float>(), vt = at.to_vector<float>(), vs = two[3].to_vector<float>();
  const auto vb = b.to_vector<float>();
  for (std::size_t i = 0; i < va.size(); i += 97) ASSERT_EQ(vs[i], vt[i] - vb[i]) << i;
}

}  // namespace
}  // namespace spool::kernels
