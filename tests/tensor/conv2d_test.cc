// conv2d against a direct 7-loop convolution in double, its backward passes against
// central differences of that reference and against reference backward loops.
#include "spool/tensor/kernels/conv2d.h"

#include <gtest/gtest.h>

#include "kernel_test_util.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
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
  expect_close(got, want, 1e-4, what);
}

using testing::Vec;

struct ConvCase {
  std::int64_t n, h, w, cin, kh, kw, cout, sh, sw;
  Padding padding;

  Conv2DOptions options() const { return Conv2DOptions().stride(sh, sw).padding(padding); }
  Shape input() const { return Shape{n, h, w, cin}; }
  Shape filter() const { return Shape{kh, kw, cin, cout}; }
  // TensorFlow's rule, written out again independently of the library.
  std::int64_t out_h() const { return padding == Padding::kSame ? (h + sh - 1) / sh : (h - kh + sh) / sh; }
  std::int64_t out_w() const { return padding == Padding::kSame ? (w + sw - 1) / sw : (w - kw + sw) / sw; }
  std::int64_t pad_top() const {
    return padding == Padding::kSame ? std::max<std::int64_t>((out_h() - 1) * sh + kh - h, 0) / 2 : 0;
  }
  std::int64_t pad_left() const {
    return padding == Padding::kSame ? std::max<std::int64_t>((out_w() - 1) * sw + kw - w, 0) / 2 : 0;
  }
  Shape output() const { return Shape{n, out_h(), out_w(), cout}; }
};

std::ostream& operator<<(std::ostream& out, const ConvCase& c) {
  return out << c.input() << " * " << c.filter() << " stride " << c.sh << "x" << c.sw << " "
             << padding_name(c.padding);
}

// The 7 loops of a direct convolution, calling tap(x index, w index, y index) for every
// product x·w that lands in y; forward and both backward references are built on it.
template <typename Tap>
void for_each_tap(const ConvCase& c, Tap&& tap) {
  for (std::int64_t b = 0; b < c.n; ++b)
    for (std::int64_t oy = 0; oy < c.out_h(); ++oy)
      for (std::int64_t ox = 0; ox < c.out_w(); ++ox)
        for (std::int64_t ky = 0; ky < c.kh; ++ky)
          for (std::int64_t kx = 0; kx < c.kw; ++kx) {
            const std::int64_t iy = oy * c.sh - c.pad_top() + ky;
            const std::int64_t ix = ox * c.sw - c.pad_left() + kx;
            if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
            for (std::int64_t ci = 0; ci < c.cin; ++ci)
              for (std::int64_t co = 0; co < c.cout; ++co)
                tap(((b * c.h + iy) * c.w + ix) * c.cin + ci, ((ky * c.kw + kx) * c.cin + ci) * c.cout + co,
                    ((b * c.out_h() + oy) * c.out_w() + ox) * c.cout + co);
          }
}

Vec ref_forward(const ConvCase& c, const Vec& x, const Vec& w) {
  Vec y(static_cast<std::size_t>(c.output().numel()), 0.0);
  for_each_tap(c, [&](std::int64_t xi, std::int64_t wi, std::int64_t yi) { y[yi] += x[xi] * w[wi]; });
  return y;
}

Vec ref_backward_input(const ConvCase& c, const Vec& dy, const Vec& w) {
  Vec dx(static_cast<std::size_t>(c.input().numel()), 0.0);
  for_each_tap(c, [&](std::int64_t xi, std::int64_t wi, std::int64_t yi) { dx[xi] += dy[yi] * w[wi]; });
  return dx;
}

Vec ref_backward_filter(const ConvCase& c, const Vec& x, const Vec& dy) {
  Vec dw(static_cast<std::size_t>(c.filter().numel()), 0.0);
  for_each_tap(c, [&](std::int64_t xi, std::int64_t wi, std::int64_t yi) { dw[wi] += x[xi] * dy[yi]; });
  return dw;
}





const std::vector<ConvCase> kCases = {
    {2, 7, 9, 3, 3, 3, 4, 1, 1, Padding::kValid},   // odd sizes, H != W
    {2, 7, 9, 3, 3, 3, 16, 1, 1, Padding::kSame},  // C_out % 8 == 0: the direct kernel
    {1, 8, 6, 1, 3, 3, 8, 2, 2, Padding::kSame},    // batch 1, C_in 1, even sizes, stride 2
    {3, 9, 7, 1, 3, 3, 24, 2, 2, Padding::kValid},  // 16 + 8 output columns
    {3, 9, 7, 1, 3, 3, 2, 2, 2, Padding::kValid},
    {1, 3, 13, 2, 3, 3, 8, 1, 1, Padding::kSame},   // every pixel row at the top/bottom edge
    {2, 6, 6, 3, 5, 5, 3, 1, 1, Padding::kSame},    // 5x5 with padding on both sides
    {1, 11, 8, 2, 5, 5, 3, 2, 1, Padding::kValid},  // unequal strides
    {2, 5, 7, 4, 1, 1, 6, 1, 1, Padding::kValid},   // 1x1 stride 1: the pure GEMM path
    {2, 5, 7, 4, 1, 1, 3, 2, 2, Padding::kSame},    // 1x1 stride 2 goes through im2col
    {1, 4, 5, 2, 2, 4, 3, 1, 2, Padding::kSame},    // even kernel: odd padding split
    {2, 6, 7, 8, 3, 3, 8, 2, 2, Padding::kSame},    // C_in > 4: row-major dx blocks
    {1, 5, 6, 6, 3, 3, 5, 1, 1, Padding::kValid},
};

class Conv2dTest : public testing::KernelTest {
 protected:
  Conv2dTest() : KernelTest(20261122) {}
};

TEST_F(Conv2dTest, SamePaddingPutsTheOddElementAfter) {
  EXPECT_EQ(window_axis(6, 4, 1, Padding::kSame).pad_before, 1);  // total 3: 1 before, 2 after
  EXPECT_EQ(window_axis(28, 3, 2, Padding::kSame).out, 14);
  EXPECT_EQ(window_axis(28, 3, 2, Padding::kSame).pad_before, 0);  // total 1, after
  EXPECT_EQ(window_axis(28, 3, 2, Padding::kValid).out, 13);
  // 3x3 ones * 2x2 ones, 'same': the padding row and column sit after, so the last
  // row and column see fewer taps.
  Tensor y = conv2d(Tensor::ones(Shape{1, 3, 3, 1}, DType::kF32), Tensor::ones(Shape{2, 2, 1, 1}, DType::kF32),
                    Conv2DOptions().padding(Padding::kSame));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{4, 4, 2, 4, 4, 2, 2, 2, 1}));
}

TEST_F(Conv2dTest, ForwardMatchesDirectConvolution) {
  for (const ConvCase& c : kCases) {
    const Tensor x = random_uniform(c.input(), -1, 1, gen_);
    const Tensor w = random_uniform(c.filter(), -1, 1, gen_);
    const Tensor y = conv2d(x, w, c.options());
    ASSERT_EQ(y.shape(), c.output()) << c;
    expect_close_tol(y, ref_forward(c, to_doubles(x), to_doubles(w)), ::testing::PrintToString(c));
  }
}

TEST_F(Conv2dTest, ForwardAppliesBiasAndActivation) {
  for (const ConvCase& c : {ConvCase{2, 6, 5, 3, 3, 3, 4, 1, 1, Padding::kSame},  // im2col + sgemm
                            ConvCase{2, 6, 5, 3, 3, 3, 8, 1, 1, Padding::kSame}}) {  // direct
  const Tensor x = random_uniform(c.input(), -1, 1, gen_);
  const Tensor w = random_uniform(c.filter(), -1, 1, gen_);
  const Tensor b = random_uniform(Shape{c.cout}, -1, 1, gen_);
  const Vec plain = ref_forward(c, to_doubles(x), to_doubles(w));
  const Vec bias = to_doubles(b);
  for (Activation act : {Activation::kNone, Activation::kRelu, Activation::kSigmoid}) {
    Vec want(plain.size());
    for (std::size_t i = 0; i < plain.size(); ++i) {
      const double z = plain[i] + bias[i % static_cast<std::size_t>(c.cout)];
      want[i] = act == Activation::kRelu ? std::max(z, 0.0) : act == Activation::kSigmoid ? 1 / (1 + std::exp(-z)) : z;
    }
    expect_close_tol(conv2d(x, w, b, c.options().activation(act)), want, activation_name(act));
  }
  }
}

TEST_F(Conv2dTest, DirectKernelMatchesDirectConvolution) {
  int checked = 0;
  for (const ConvCase& c : kCases) {
    const Window2D g = window2d(c.input(), c.kh, c.kw, c.sh, c.sw, c.padding, "test");
    if (!kernels::conv2d_direct_supported(g, c.cout)) continue;
    const Tensor x = random_uniform(c.input(), -1, 1, gen_);
    const Tensor w = random_uniform(c.filter(), -1, 1, gen_);
    const Tensor b = random_uniform(Shape{c.cout}, -1, 1, gen_);
    Tensor y = Tensor::empty(c.output(), DType::kF32);
    kernels::conv2d_direct(g, c.cout, x.data<float>(), w.data<float>(), b.data<float>(), Activation::kRelu,
                           y.data<float>());
    Vec want = ref_forward(c, to_doubles(x), to_doubles(w));
    const Vec bias = to_doubles(b);
    for (std::size_t i = 0; i < want.size(); ++i) want[i] = std::max(want[i] + bias[i % bias.size()], 0.0);
    expect_close_tol(y, want, ::testing::PrintToString(c));
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "this CPU has no AVX2/FMA: conv2d runs im2col + sgemm only";
  EXPECT_EQ(checked, 4);
}

TEST_F(Conv2dTest, BackwardMatchesFiniteDifferences) {
  for (const ConvCase& c : {ConvCase{2, 5, 6, 2, 3, 3, 3, 1, 1, Padding::kSame},
                            ConvCase{1, 6, 5, 1, 3, 3, 2, 2, 2, Padding::kValid},
                            ConvCase{2, 4, 5, 3, 2, 2, 2, 2, 1, Padding::kSame}}) {
    const Tensor x = random_uniform(c.input(), -1, 1, gen_);
    const Tensor w = random_uniform(c.filter(), -1, 1, gen_);
    const Tensor dy = random_uniform(c.output(), -1, 1, gen_);
    const Vec xd = to_doubles(x), wd = to_doubles(w), dyd = to_doubles(dy);
    const Vec dx_num = numerical_gradient(xd, [&](const Vec& v) { return dot(ref_forward(c, v, wd), dyd); });
    const Vec dw_num = numerical_gradient(wd, [&](const Vec& v) { return dot(ref_forward(c, xd, v), dyd); });
    expect_close_tol(conv2d_backward_input(dy, w, c.input(), c.options()), dx_num, "dx");
    expect_close_tol(conv2d_backward_filter(x, dy, c.filter(), c.options()), dw_num, "dw");
    // The bias enters every output pixel once: its gradient is dy summed over N, H, W.
    const Tensor b = Tensor::zeros(Shape{c.cout}, DType::kF32);
    const Vec db_num = numerical_gradient(to_doubles(b), [&](const Vec& v) {
      Vec y = ref_forward(c, xd, wd);
      for (std::size_t i = 0; i < y.size(); ++i) y[i] += v[i % v.size()];
      return dot(y, dyd);
    });
    expect_close_tol(conv2d_backward_bias(dy), db_num, "db");
  }
}

TEST_F(Conv2dTest, BackwardMatchesReferenceLoops) {
  for (const ConvCase& c : kCases) {
    const Tensor x = random_uniform(c.input(), -1, 1, gen_);
    const Tensor w = random_uniform(c.filter(), -1, 1, gen_);
    const Tensor dy = random_uniform(c.output(), -1, 1, gen_);
    const std::string what = ::testing::PrintToString(c);
    expect_close_tol(conv2d_backward_input(dy, w, c.input(), c.options()), ref_backward_input(c, to_doubles(dy), to_doubles(w)),
                 "dx " + what);
    const Tensor dw = conv2d_backward_filter(x, dy, c.filter(), c.options());
    expect_close_tol(dw, ref_backward_filter(c, to_doubles(x), to_doubles(dy)), "dw " + what);
    // The fused variant: the same dw bit for bit, and the bias gradient on the side.
    const Conv2DFilterGrads both = conv2d_backward_filter_and_bias(x, dy, c.filter(), c.options());
    EXPECT_EQ(both.dfilter.to_vector<float>(), dw.to_vector<float>()) << what;
    Vec db(static_cast<std::size_t>(c.cout), 0.0);
    const Vec dyd = to_doubles(dy);
    for (std::size_t i = 0; i < dyd.size(); ++i) db[i % db.size()] += dyd[i];
    expect_close_tol(both.dbias, db, "db " + what);
  }
}

TEST_F(Conv2dTest, AcceptsNonContiguousViews) {
  const ConvCase c{2, 7, 6, 3, 3, 3, 4, 2, 1, Padding::kSame};
  // Transposed H and W, and every other output channel of a wider filter.
  const Tensor x = random_uniform(Shape{c.n, c.w, c.h, c.cin}, -1, 1, gen_).transpose(1, 2);
  const Tensor w = random_uniform(Shape{c.kh, c.kw, c.cin, 2 * c.cout}, -1, 1, gen_).slice(3, 0, 2 * c.cout, 2);
  const Tensor dy = random_uniform(Shape{c.n, c.out_w(), c.out_h(), c.cout}, -1, 1, gen_).transpose(1, 2);
  ASSERT_FALSE(x.is_contiguous());
  ASSERT_FALSE(w.is_contiguous());
  ASSERT_FALSE(dy.is_contiguous());
  const Vec xd = to_doubles(x), wd = to_doubles(w), dyd = to_doubles(dy);
  expect_close_tol(conv2d(x, w, c.options()), ref_forward(c, xd, wd), "y");
  expect_close_tol(conv2d_backward_input(dy, w, c.input(), c.options()), ref_backward_input(c, dyd, wd), "dx");
  expect_close_tol(conv2d_backward_filter(x, dy, c.filter(), c.options()), ref_backward_filter(c, xd, dyd), "dw");
}

TEST_F(Conv2dTest, BitwiseReproducibleForAThreadCount) {
  // Enough rows for several im2col blocks, so the filter gradient sums partials.
  const ConvCase c{4, 20, 22, 8, 3, 3, 16, 1, 1, Padding::kSame};
  const Tensor x = random_uniform(c.input(), -1, 1, gen_);
  const Tensor w = random_uniform(c.filter(), -1, 1, gen_);
  const Tensor dy = random_uniform(c.output(), -1, 1, gen_);
  auto run = [&] {
    std::vector<std::vector<float>> out;
    out.push_back(conv2d(x, w, c.options()).to_vector<float>());
    out.push_back(conv2d_backward_input(dy, w, c.input(), c.options()).to_vector<float>());
    out.push_back(conv2d_backward_filter(x, dy, c.filter(), c.options()).to_vector<float>());
    out.push_back(conv2d_backward_bias(dy).to_vector<float>());
    out.push_back(conv2d_backward_filter_and_bias(x, dy, c.filter(), c.options()).dbias.to_vector<float>());
    return out;
  };
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    const auto first = run();
    const auto second = run();
    for (std::size_t i = 0; i < first.size(); ++i) {
      ASSERT_EQ(std::memcmp(first[i].data(), second[i].data(), first[i].size() * sizeof(float)), 0)
          << "output " << i << " with " << threads << " threads";
    }
  }
}

TEST_F(Conv2dTest, ShapeMismatchesQuoteTheShapes) {
  const Tensor x = Tensor::zeros(Shape{32, 28, 28, 3}, DType::kF32);
  const Tensor w = Tensor::zeros(Shape{3, 3, 1, 32}, DType::kF32);
  try {
    conv2d(x, w);
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "conv2d: input [32, 28, 28, 3] has 3 channels, filter [3, 3, 1, 32] expects 1");
  }
  const Tensor w3 = Tensor::zeros(Shape{3, 3, 3, 8}, DType::kF32);
  EXPECT_THROW(conv2d(x, w3, Tensor::zeros(Shape{7}, DType::kF32)), InvalidArgument);
  EXPECT_THROW(conv2d(Tensor::zeros(Shape{1, 2, 2, 3}, DType::kF32), w3), InvalidArgument);  // 3x3 > 2x2
  EXPECT_THROW(conv2d(x, w3, Conv2DOptions().stride(0)), InvalidArgument);
  EXPECT_THROW(conv2d_backward_input(Tensor::zeros(Shape{32, 26, 26, 8}, DType::kF32), w3, x.shape(),
                                     Conv2DOptions().padding(Padding::kSame)),
               InvalidArgument);
  EXPECT_THROW(conv2d_backward_filter(x, Tensor::zeros(Shape{32, 26, 26, 9}, DType::kF32), w3.shape()),
               InvalidArgument);
}

}  // namespace
}  // namespace spool::kernels
