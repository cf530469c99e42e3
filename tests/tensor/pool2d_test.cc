// Pooling against plain loops in double, with TensorFlow's padding spelled out again;
// backward passes against central differences and against reference routing.
#include "spool/tensor/kernels/pool2d.h"

#include <gtest/gtest.h>

#include "kernel_test_util.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "spool/tensor/random.h"
#include "spool/tensor/thread_pool.h"

namespace spool::kernels {
namespace {

using testing::dot;
using testing::expect_close;
using testing::numerical_gradient;
using testing::to_doubles;

void expect_close_tol(const Tensor& got, const testing::Vec& want, const std::string& what) {
  expect_close(got, want, 1e-5, what);
}

using testing::Vec;

struct PoolCase {
  std::int64_t n, h, w, c, kh, kw, sh, sw;
  Padding padding;

  Pool2DOptions options() const { return Pool2DOptions(kh, kw).stride(sh, sw).padding(padding); }
  Shape input() const { return Shape{n, h, w, c}; }
  std::int64_t out_h() const { return padding == Padding::kSame ? (h + sh - 1) / sh : (h - kh + sh) / sh; }
  std::int64_t out_w() const { return padding == Padding::kSame ? (w + sw - 1) / sw : (w - kw + sw) / sw; }
  std::int64_t pad_top() const {
    return padding == Padding::kSame ? std::max<std::int64_t>((out_h() - 1) * sh + kh - h, 0) / 2 : 0;
  }
  std::int64_t pad_left() const {
    return padding == Padding::kSame ? std::max<std::int64_t>((out_w() - 1) * sw + kw - w, 0) / 2 : 0;
  }
  Shape output() const { return Shape{n, out_h(), out_w(), c}; }
};

// Calls window(y index, list of x indices under the window) per output element, the
// x indices in row-major scan order.
template <typename Fn>
void for_each_window(const PoolCase& p, Fn&& window) {
  std::vector<std::int64_t> taps;
  for (std::int64_t b = 0; b < p.n; ++b)
    for (std::int64_t oy = 0; oy < p.out_h(); ++oy)
      for (std::int64_t ox = 0; ox < p.out_w(); ++ox)
        for (std::int64_t ch = 0; ch < p.c; ++ch) {
          taps.clear();
          for (std::int64_t ky = 0; ky < p.kh; ++ky)
            for (std::int64_t kx = 0; kx < p.kw; ++kx) {
              const std::int64_t iy = oy * p.sh - p.pad_top() + ky;
              const std::int64_t ix = ox * p.sw - p.pad_left() + kx;
              if (iy >= 0 && iy < p.h && ix >= 0 && ix < p.w) taps.push_back(((b * p.h + iy) * p.w + ix) * p.c + ch);
            }
          window(((b * p.out_h() + oy) * p.out_w() + ox) * p.c + ch, taps);
        }
}

// Max (first maximum on ties) and its flat input index.
std::pair<Vec, std::vector<std::int64_t>> ref_max(const PoolCase& p, const Vec& x) {
  Vec y(static_cast<std::size_t>(p.output().numel()));
  std::vector<std::int64_t> arg(y.size());
  for_each_window(p, [&](std::int64_t yi, const std::vector<std::int64_t>& taps) {
    std::int64_t best = taps[0];
    for (std::int64_t t : taps)
      if (x[t] > x[best]) best = t;
    y[yi] = x[best];
    arg[yi] = best;
  });
  return {y, arg};
}

Vec ref_avg(const PoolCase& p, const Vec& x) {
  Vec y(static_cast<std::size_t>(p.output().numel()));
  for_each_window(p, [&](std::int64_t yi, const std::vector<std::int64_t>& taps) {
    for (std::int64_t t : taps) y[yi] += x[t] / static_cast<double>(taps.size());
  });
  return y;
}




// Distinct values 0.01 apart in random order: no ties, and a ±1e-3 nudge never
// changes which element is the maximum.
Tensor distinct_values(const Shape& shape, Generator& gen) {
  std::vector<float> v(static_cast<std::size_t>(shape.numel()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = 0.01f * static_cast<float>(i) - 1.0f;
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[gen.next_u32() % i]);
  return Tensor::from_vector(v, shape);
}

const std::vector<PoolCase> kCases = {
    {2, 7, 9, 3, 2, 2, 2, 2, Padding::kValid}, {2, 7, 9, 3, 2, 2, 2, 2, Padding::kSame},
    {1, 8, 5, 1, 3, 3, 2, 2, Padding::kSame},  {2, 6, 7, 2, 3, 3, 1, 1, Padding::kSame},
    {1, 9, 6, 3, 3, 2, 2, 1, Padding::kValid}, {3, 5, 5, 4, 1, 1, 2, 2, Padding::kSame},
};

class Pool2dTest : public testing::KernelTest {
 protected:
  Pool2dTest() : KernelTest(7) {}
};

TEST_F(Pool2dTest, ForwardMatchesReferenceLoops) {
  for (const PoolCase& p : kCases) {
    const Tensor x = random_uniform(p.input(), -1, 1, gen_);
    const auto [want, want_arg] = ref_max(p, to_doubles(x));
    const MaxPool2DResult r = max_pool2d_with_argmax(x, p.options());
    ASSERT_EQ(r.output.shape(), p.output());
    expect_close_tol(r.output, want, "max");
    expect_close_tol(max_pool2d(x, p.options()), want, "max without argmax");
    // argmax counts within the image (TF's include_batch_in_index = false).
    const auto got_arg = r.argmax.to_vector<std::int64_t>();
    const std::int64_t image = p.h * p.w * p.c;
    for (std::size_t i = 0; i < got_arg.size(); ++i) ASSERT_EQ(got_arg[i], want_arg[i] % image) << i;
    expect_close_tol(avg_pool2d(x, p.options()), ref_avg(p, to_doubles(x)), "avg");
  }
}

TEST_F(Pool2dTest, BackwardMatchesFiniteDifferences) {
  for (const PoolCase& p : {kCases[1], kCases[2], kCases[3]}) {
    const Tensor x = distinct_values(p.input(), gen_);
    const Tensor dy = random_uniform(p.output(), -1, 1, gen_);
    const Vec xd = to_doubles(x), dyd = to_doubles(dy);
    Vec max_num(xd.size()), avg_num(xd.size());
    Vec v = xd;
    for (std::size_t i = 0; i < v.size(); ++i) {
      v[i] = xd[i] + 1e-3;
      const double max_up = dot(ref_max(p, v).first, dyd), avg_up = dot(ref_avg(p, v), dyd);
      v[i] = xd[i] - 1e-3;
      max_num[i] = (max_up - dot(ref_max(p, v).first, dyd)) / 2e-3;
      avg_num[i] = (avg_up - dot(ref_avg(p, v), dyd)) / 2e-3;
      v[i] = xd[i];
    }
    const MaxPool2DResult r = max_pool2d_with_argmax(x, p.options());
    expect_close_tol(max_pool2d_backward(dy, r.argmax, p.input()), max_num, "max");
    expect_close_tol(avg_pool2d_backward(dy, p.input(), p.options()), avg_num, "avg");
  }
}

TEST_F(Pool2dTest, MaxBackwardRoutesTiesToTheFirstMaximum) {
  // All equal, overlapping 2x2 windows at stride 1: each window picks its top-left.
  const Tensor x = Tensor::ones(Shape{1, 3, 3, 1}, DType::kF32);
  const auto opts = Pool2DOptions(2).stride(1);
  const MaxPool2DResult r = max_pool2d_with_argmax(x, opts);
  EXPECT_EQ(r.argmax.to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 3, 4}));
  const Tensor dx = max_pool2d_backward(Tensor::ones(Shape{1, 2, 2, 1}, DType::kF32), r.argmax, x.shape());
  EXPECT_EQ(dx.to_vector<float>(), (std::vector<float>{1, 1, 0, 1, 1, 0, 0, 0, 0}));
  // And on bigger random ties: backward equals the reference routing.
  const PoolCase p{2, 7, 6, 3, 3, 3, 2, 2, Padding::kSame};
  Tensor xt = random_uniform(p.input(), -1, 1, gen_);
  for (float& v : std::span<float>(xt.data<float>(), static_cast<std::size_t>(xt.numel()))) v = std::round(v * 2);
  const Tensor dy = random_uniform(p.output(), -1, 1, gen_);
  const auto want_arg = ref_max(p, to_doubles(xt)).second;
  Vec want(static_cast<std::size_t>(xt.numel()), 0.0);
  const Vec dyd = to_doubles(dy);
  for (std::size_t i = 0; i < want_arg.size(); ++i) want[want_arg[i]] += dyd[i];
  expect_close_tol(max_pool2d_backward(dy, max_pool2d_with_argmax(xt, p.options()).argmax, p.input()), want, "ties");
}

// 16 channels and more run in vector blocks of 16 (then a scalar tail): the same maxima
// and the same first-maximum argmax as the reference, on random values, on many ties,
// and with NaN (kept only as a window's first element) and -0/+0 (equal: the first wins).
TEST_F(Pool2dTest, WideChannelsGiveTheReferenceMaximumAndArgmax) {
  for (const PoolCase& p : {PoolCase{2, 6, 7, 37, 2, 2, 2, 2, Padding::kValid},
                            PoolCase{1, 5, 5, 40, 3, 3, 2, 2, Padding::kSame}}) {
    for (int variant = 0; variant < 3; ++variant) {
      Tensor x = random_uniform(p.input(), -1, 1, gen_);
      std::span<float> v(x.data<float>(), static_cast<std::size_t>(x.numel()));
      if (variant == 1) {
        for (float& e : v) e = std::round(e * 2);  // values -2..2: ties in most windows
      } else if (variant == 2) {
        for (std::size_t i = 0; i < v.size(); i += 7) v[i] = std::nanf("");
        for (std::size_t i = 3; i < v.size(); i += 11) v[i] = (i % 2) ? -0.0f : 0.0f;
      }
      const auto [want, want_arg] = ref_max(p, to_doubles(x));
      const MaxPool2DResult r = max_pool2d_with_argmax(x, p.options());
      const auto got = r.output.to_vector<float>();
      const auto got_arg = r.argmax.to_vector<std::int64_t>();
      const std::int64_t image = p.h * p.w * p.c;
      for (std::size_t i = 0; i < got.size(); ++i) {
        if (std::isnan(want[i])) {
          ASSERT_TRUE(std::isnan(got[i])) << "variant " << variant << " element " << i;
        } else {
          ASSERT_EQ(got[i], want[i]) << "variant " << variant << " element " << i;
        }
        ASSERT_EQ(got_arg[i], want_arg[i] % image) << "variant " << variant << " element " << i;
      }
      const auto plain = max_pool2d(x, p.options()).to_vector<float>();
      ASSERT_EQ(std::memcmp(plain.data(), got.data(), got.size() * sizeof(float)), 0) << "variant " << variant;
    }
  }
}

// Windows that never overlap keep a u8 position within the window: the same maxima as the
// argmax form, positions naming the same input elements, and the same gradient, also where
// windows leave rows or columns out (11 -> 5), with padding, gaps (1x1 at stride 2), ties,
// NaN and -0/+0, and channel counts with a scalar tail.
TEST_F(Pool2dTest, WindowPositionsAgreeWithTheImageArgmax) {
  for (const PoolCase& p : {PoolCase{2, 11, 11, 37, 2, 2, 2, 2, Padding::kValid},
                            PoolCase{2, 7, 9, 3, 2, 2, 2, 2, Padding::kSame},
                            PoolCase{1, 9, 8, 20, 3, 2, 3, 2, Padding::kSame},
                            PoolCase{3, 5, 5, 4, 1, 1, 2, 2, Padding::kSame},
                            PoolCase{1, 8, 9, 16, 2, 3, 3, 4, Padding::kValid}}) {
    for (int variant = 0; variant < 3; ++variant) {
      SCOPED_TRACE(p.input().to_string() + " window " + std::to_string(p.kh) + "x" + std::to_string(p.kw) +
                   " variant " + std::to_string(variant));
      Tensor x = random_uniform(p.input(), -1, 1, gen_);
      std::span<float> v(x.data<float>(), static_cast<std::size_t>(x.numel()));
      if (variant == 1) {
        for (float& e : v) e = std::round(e * 2);
      } else if (variant == 2) {
        for (std::size_t i = 0; i < v.size(); i += 7) v[i] = std::nanf("");
        for (std::size_t i = 3; i < v.size(); i += 11) v[i] = (i % 2) ? -0.0f : 0.0f;
      }
      const MaxPool2DResult wide = max_pool2d_with_argmax(x, p.options());
      const MaxPool2DResult narrow = max_pool2d_with_window_argmax(x, p.options());
      ASSERT_EQ(narrow.argmax.dtype(), DType::kU8);
      const auto y = narrow.output.to_vector<float>(), want_y = wide.output.to_vector<float>();
      ASSERT_EQ(std::memcmp(y.data(), want_y.data(), y.size() * sizeof(float)), 0);
      // Position k of a window is its k-th input element in scan order (the reference's taps).
      const auto position = narrow.argmax.to_vector<std::uint8_t>();
      const auto want_arg = wide.argmax.to_vector<std::int64_t>();
      const std::int64_t image = p.h * p.w * p.c;
      for_each_window(p, [&](std::int64_t yi, const std::vector<std::int64_t>& taps) {
        ASSERT_LT(position[yi], taps.size()) << "output " << yi;
        ASSERT_EQ(taps[position[yi]] % image, want_arg[yi]) << "output " << yi;
      });
      const Tensor dy = random_uniform(p.output(), -1, 1, gen_);
      const auto dx = max_pool2d_backward_window_argmax(dy, narrow.argmax, p.input(), p.options()).to_vector<float>();
      const auto want_dx = max_pool2d_backward(dy, wide.argmax, p.input()).to_vector<float>();
      ASSERT_EQ(dx.size(), want_dx.size());
      for (std::size_t i = 0; i < dx.size(); ++i) ASSERT_EQ(dx[i], want_dx[i]) << "dx element " << i;
    }
  }
  // Overlapping windows need the image argmax; a position tensor of the wrong type is refused.
  const Tensor x = Tensor::zeros(Shape{1, 6, 6, 2}, DType::kF32);
  EXPECT_THROW(max_pool2d_with_window_argmax(x, Pool2DOptions(3).stride(2)), InvalidArgument);
  const MaxPool2DResult r = max_pool2d_with_argmax(x, Pool2DOptions(2));
  try {
    max_pool2d_backward_window_argmax(r.output, r.argmax, x.shape(), Pool2DOptions(2));
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(),
                 "max_pool2d_backward: window positions must be u8 shaped like the gradient [1, 3, 3, 2], got i64 "
                 "[1, 3, 3, 2]");
  }
}

TEST_F(Pool2dTest, AverageExcludesPadding) {
  // With TF's rule every output of a constant input is that constant, borders too.
  const Tensor y = avg_pool2d(Tensor::full(Shape{1, 5, 4, 2}, 3.0, DType::kF32),
                              Pool2DOptions(3).stride(2).padding(Padding::kSame));
  EXPECT_EQ(y.shape(), (Shape{1, 3, 2, 2}));
  for (float v : y.to_vector<float>()) EXPECT_FLOAT_EQ(v, 3.0f);
}

TEST_F(Pool2dTest, AcceptsNonContiguousInput) {
  const PoolCase p = kCases[1];
  const Tensor x = random_uniform(Shape{p.n, p.w, p.h, p.c}, -1, 1, gen_).transpose(1, 2);
  ASSERT_FALSE(x.is_contiguous());
  expect_close_tol(max_pool2d(x, p.options()), ref_max(p, to_doubles(x)).first, "max");
  expect_close_tol(avg_pool2d(x, p.options()), ref_avg(p, to_doubles(x)), "avg");
}

TEST_F(Pool2dTest, BitwiseReproducibleForAThreadCount) {
  const PoolCase p{8, 26, 26, 32, 2, 2, 2, 2, Padding::kValid};
  const Tensor x = random_uniform(p.input(), -1, 1, gen_);
  const Tensor dy = random_uniform(p.output(), -1, 1, gen_);
  auto run = [&] {
    const MaxPool2DResult r = max_pool2d_with_argmax(x, p.options());
    return std::vector<std::vector<float>>{r.output.to_vector<float>(),
                                           max_pool2d_backward(dy, r.argmax, p.input()).to_vector<float>(),
                                           avg_pool2d(x, p.options()).to_vector<float>(),
                                           avg_pool2d_backward(dy, p.input(), p.options()).to_vector<float>()};
  };
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    const auto a = run();
    const auto b = run();
    for (std::size_t i = 0; i < a.size(); ++i)
      ASSERT_EQ(std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)), 0) << i << " " << threads;
  }
}

TEST_F(Pool2dTest, BadArgumentsAreRejected) {
  const Tensor x = Tensor::zeros(Shape{2, 4, 4, 3}, DType::kF32);
  EXPECT_THROW(max_pool2d(x, Pool2DOptions(5)), InvalidArgument);  // window larger than a valid input
  EXPECT_THROW(max_pool2d(x, Pool2DOptions(0)), InvalidArgument);
  const MaxPool2DResult r = max_pool2d_with_argmax(x, Pool2DOptions(2));
  try {
    max_pool2d_backward(r.output, r.argmax.narrow(0, 0, 1), x.shape());
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "max_pool2d_backward: argmax must be i64 shaped like the gradient [2, 2, 2, 3], got i64 [1, 2, 2, 3]");
  }
  EXPECT_THROW(avg_pool2d_backward(Tensor::zeros(Shape{2, 3, 3, 3}, DType::kF32), x.shape(), Pool2DOptions(2)),
               InvalidArgument);
}

}  // namespace
}  // namespace spool::kernels
