// The gradient check every op must pass: one row per op (and per broadcasting or
// option case). For each row, in f64, the tape's gradient of sum(op(inputs) · w), w a
// fixed random weight, is compared with central differences of the same function
// evaluated without a tape. The same row then runs in f32, on the fast kernels, and its
// gradients must agree with the f64 ones to f32 accuracy.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "spool/autodiff/ops.h"
#include "spool/autodiff/tape.h"
#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/kernels/reduce.h"
#include "spool/tensor/random.h"

namespace spool::autodiff {
namespace {

using Inputs = std::vector<Tensor>;

struct InputSpec {
  Shape shape;
  double lo = -1;
  double hi = 1;
};

struct Row {
  std::string name;
  std::vector<InputSpec> inputs;
  std::function<Tensor(const Inputs&)> fn;
};

void PrintTo(const Row& row, std::ostream* out) { *out << row.name; }

Tensor i64s(std::vector<std::int64_t> v, Shape shape) { return Tensor::from_vector(v, std::move(shape)); }

// A fixed u8 condition for where, [2, 3].
Tensor condition() { return Tensor::from_vector<std::uint8_t>({1, 0, 0, 1, 1, 0}, Shape{2, 3}); }

std::vector<Row> rows() {
  const Shape s23{2, 3};
  const InputSpec positive{Shape{2, 3}, 0.5, 2.0};
  const auto conv = [](Conv2DOptions o, bool bias) {
    return [o, bias](const Inputs& x) { return bias ? conv2d(x[0], x[1], x[2], o) : conv2d(x[0], x[1], o); };
  };
  return {
      {"add", {{s23}, {s23}}, [](const Inputs& x) { return add(x[0], x[1]); }},
      {"add_broadcast_row", {{s23}, {Shape{3}}}, [](const Inputs& x) { return add(x[0], x[1]); }},
      {"add_broadcast_both", {{Shape{4, 1, 3}}, {Shape{5, 1}}}, [](const Inputs& x) { return add(x[0], x[1]); }},
      {"add_scalar", {{s23}}, [](const Inputs& x) { return add(x[0], 2.5); }},
      {"sub_broadcast_column", {{s23}, {Shape{2, 1}}}, [](const Inputs& x) { return sub(x[0], x[1]); }},
      {"sub_scalar", {{s23}}, [](const Inputs& x) { return sub(x[0], 0.5); }},
      {"sub_from_scalar", {{s23}}, [](const Inputs& x) { return sub(1.5, x[0]); }},
      {"mul", {{s23}, {s23}}, [](const Inputs& x) { return mul(x[0], x[1]); }},
      {"mul_outer_broadcast", {{Shape{3, 1}}, {Shape{1, 4}}}, [](const Inputs& x) { return mul(x[0], x[1]); }},
      {"mul_scalar", {{s23}}, [](const Inputs& x) { return mul(x[0], -3.0); }},
      {"div_broadcast", {{s23}, {Shape{3}, 0.5, 2.0}}, [](const Inputs& x) { return div(x[0], x[1]); }},
      {"div_scalar", {{s23}}, [](const Inputs& x) { return div(x[0], 4.0); }},
      {"div_scalar_by", {positive}, [](const Inputs& x) { return div(2.0, x[0]); }},
      {"neg", {{s23}}, [](const Inputs& x) { return neg(x[0]); }},
      {"sum_to", {{Shape{2, 3, 4}}}, [](const Inputs& x) { return sum_to(x[0], Shape{3, 1}); }},
      {"broadcast_to", {{Shape{3, 1}}}, [](const Inputs& x) { return broadcast_to(x[0], Shape{2, 3, 4}); }},
      {"matmul", {{Shape{3, 4}}, {Shape{4, 5}}}, [](const Inputs& x) { return matmul(x[0], x[1]); }},
      {"matmul_ta", {{Shape{4, 3}}, {Shape{4, 5}}}, [](const Inputs& x) { return matmul(x[0], x[1], true); }},
      {"matmul_tb", {{Shape{3, 4}}, {Shape{5, 4}}},
       [](const Inputs& x) { return matmul(x[0], x[1], false, true); }},
      {"matmul_ta_tb", {{Shape{4, 3}}, {Shape{5, 4}}},
       [](const Inputs& x) { return matmul(x[0], x[1], true, true); }},
      {"sum_all", {{Shape{3, 4}}}, [](const Inputs& x) { return sum(x[0]); }},
      {"sum_axes_keepdims", {{Shape{2, 3, 4}}}, [](const Inputs& x) { return sum(x[0], {0, 2}, true); }},
      {"sum_last_axis", {{Shape{3, 4}}}, [](const Inputs& x) { return sum(x[0], {-1}); }},
      {"mean_all", {{Shape{3, 4}}}, [](const Inputs& x) { return mean(x[0]); }},
      {"mean_axis_keepdims", {{Shape{3, 4}}}, [](const Inputs& x) { return mean(x[0], {0}, true); }},
      {"max_all", {{Shape{3, 4}}}, [](const Inputs& x) { return max(x[0]); }},
      {"max_axis", {{Shape{3, 4}}}, [](const Inputs& x) { return max(x[0], {1}); }},
      {"reshape", {{Shape{2, 6}}}, [](const Inputs& x) { return reshape(x[0], {3, -1}); }},
      {"transpose_perm", {{Shape{2, 3, 4}}}, [](const Inputs& x) { return transpose(x[0], {2, 0, 1}); }},
      {"transpose_matrix_then_matmul", {{Shape{4, 3}}, {Shape{4, 2}}},
       [](const Inputs& x) { return matmul(transpose(x[0]), x[1]); }},
      {"slice", {{Shape{4, 5}}}, [](const Inputs& x) { return slice(x[0], 1, 1, 4); }},
      {"slice_step", {{Shape{5, 3}}}, [](const Inputs& x) { return slice(x[0], 0, 0, 5, 2); }},
      {"unslice", {{Shape{2, 2}}}, [](const Inputs& x) { return unslice(x[0], Shape{2, 5}, 1, 1, 5, 2); }},
      {"concat", {{s23}, {Shape{2, 2}}}, [](const Inputs& x) { return concat({x[0], x[1]}, 1); }},
      {"concat_axis0_three", {{s23}, {Shape{1, 3}}, {s23}},
       [](const Inputs& x) { return concat({x[0], x[1], x[2]}, 0); }},
      {"stack", {{s23}, {s23}, {s23}}, [](const Inputs& x) { return stack({x[0], x[1], x[2]}, 1); }},
      {"gather_repeated", {{Shape{5, 3}}},
       [](const Inputs& x) { return gather(x[0], i64s({0, 3, 3, 1}, Shape{4}), 0); }},
      {"gather_axis1_i32", {{Shape{2, 4, 3}}},
       [](const Inputs& x) {
         return gather(x[0], Tensor::from_vector<std::int32_t>({3, 0, 3, 2}, Shape{2, 2}), 1);
       }},
      {"scatter_add", {{Shape{4, 3}}},
       [](const Inputs& x) { return scatter_add(x[0], i64s({2, 0, 2, 4}, Shape{4}), Shape{5, 3}); }},
      {"embedding_lookup", {{Shape{6, 4}}},
       [](const Inputs& x) { return embedding_lookup(x[0], i64s({5, 0, 2, 2, 1, 5}, Shape{2, 3})); }},
      {"relu", {{s23}}, [](const Inputs& x) { return relu(x[0]); }},
      {"sigmoid", {{s23, -3, 3}}, [](const Inputs& x) { return sigmoid(x[0]); }},
      {"tanh", {{s23, -2, 2}}, [](const Inputs& x) { return tanh(x[0]); }},
      {"softmax", {{Shape{3, 5}, -2, 2}}, [](const Inputs& x) { return softmax(x[0]); }},
      {"softmax_rank3", {{Shape{2, 2, 4}, -2, 2}}, [](const Inputs& x) { return softmax(x[0]); }},
      {"log_softmax", {{Shape{3, 5}, -2, 2}}, [](const Inputs& x) { return log_softmax(x[0]); }},
      {"exp", {{s23}}, [](const Inputs& x) { return exp(x[0]); }},
      {"log", {positive}, [](const Inputs& x) { return log(x[0]); }},
      {"sqrt", {positive}, [](const Inputs& x) { return sqrt(x[0]); }},
      {"pow", {positive, {s23, -1, 2}}, [](const Inputs& x) { return pow(x[0], x[1]); }},
      {"pow_broadcast_exponent", {positive, {Shape{3}, -1, 2}}, [](const Inputs& x) { return pow(x[0], x[1]); }},
      {"pow_scalar", {{s23, -2, 2}}, [](const Inputs& x) { return pow(x[0], 3.0); }},
      {"abs", {{s23}}, [](const Inputs& x) { return abs(x[0]); }},
      {"maximum_broadcast", {{s23}, {Shape{3}}}, [](const Inputs& x) { return maximum(x[0], x[1]); }},
      {"minimum_broadcast", {{s23}, {Shape{2, 1}}}, [](const Inputs& x) { return minimum(x[0], x[1]); }},
      {"maximum_scalar", {{s23}}, [](const Inputs& x) { return maximum(x[0], 0.2); }},
      {"minimum_scalar", {{s23}}, [](const Inputs& x) { return minimum(x[0], -0.1); }},
      {"where_broadcast", {{s23}, {Shape{3}}}, [](const Inputs& x) { return where(condition(), x[0], x[1]); }},
      {"where_scalar_b", {{s23}}, [](const Inputs& x) { return where(condition(), x[0], 7.0); }},
      {"where_scalar_a", {{Shape{2, 1}}}, [](const Inputs& x) { return where(condition(), -7.0, x[0]); }},
      {"clip", {{s23, -2, 2}}, [](const Inputs& x) { return clip(x[0], -0.8, 0.9); }},
      {"dropout",
       {{Shape{4, 5}}},
       [](const Inputs& x) {
         Generator gen(7);  // the same mask on every call
         return dropout(x[0], 0.4, gen);
       }},
      {"conv2d_valid", {{Shape{2, 5, 5, 3}}, {Shape{3, 3, 3, 4}}}, conv(Conv2DOptions(), false)},
      {"conv2d_same_stride2", {{Shape{1, 6, 5, 2}}, {Shape{3, 2, 2, 3}}},
       conv(Conv2DOptions().stride(2).padding(Padding::kSame), false)},
      {"conv2d_bias_relu", {{Shape{1, 4, 4, 2}}, {Shape{2, 2, 2, 3}}, {Shape{3}}},
       conv(Conv2DOptions().activation(Activation::kRelu), true)},
      {"conv2d_bias_sigmoid_same", {{Shape{2, 3, 3, 1}}, {Shape{3, 3, 1, 8}}, {Shape{8}}},
       conv(Conv2DOptions().padding(Padding::kSame).activation(Activation::kSigmoid), true)},
      {"max_pool2d", {{Shape{2, 4, 4, 3}}}, [](const Inputs& x) { return max_pool2d(x[0], Pool2DOptions(2)); }},
      // Disjoint windows leaving a row and a column out; 18 channels: a vector block and a tail.
      {"max_pool2d_remainder", {{Shape{1, 5, 7, 18}}},
       [](const Inputs& x) { return max_pool2d(x[0], Pool2DOptions(2)); }},
      {"max_pool2d_same_stride", {{Shape{1, 5, 5, 2}}},
       [](const Inputs& x) { return max_pool2d(x[0], Pool2DOptions(3).stride(2).padding(Padding::kSame)); }},
      {"avg_pool2d", {{Shape{2, 4, 4, 3}}}, [](const Inputs& x) { return avg_pool2d(x[0], Pool2DOptions(2)); }},
      {"avg_pool2d_same_stride", {{Shape{1, 5, 5, 2}}},
       [](const Inputs& x) { return avg_pool2d(x[0], Pool2DOptions(3).stride(2).padding(Padding::kSame)); }},
      {"dense_bias_relu", {{Shape{4, 3}}, {Shape{3, 5}}, {Shape{5}}},
       [](const Inputs& x) { return dense(x[0], x[1], x[2], Activation::kRelu); }},
      {"dense_bias_sigmoid", {{Shape{3, 4}}, {Shape{4, 2}}, {Shape{2}}},
       [](const Inputs& x) { return dense(x[0], x[1], x[2], Activation::kSigmoid); }},
      {"dense_no_bias", {{Shape{2, 3}}, {Shape{3, 4}}},
       [](const Inputs& x) { return dense(x[0], x[1], Tensor()); }},
      {"sparse_softmax_cross_entropy", {{Shape{4, 5}, -3, 3}},
       [](const Inputs& x) { return sparse_softmax_cross_entropy(x[0], i64s({4, 0, 2, 2}, Shape{4})); }},
      {"mlp_cross_entropy", {{Shape{4, 6}}, {Shape{6, 5}}, {Shape{5}}},
       [](const Inputs& x) {
         const Tensor h = relu(add(matmul(x[0], x[1]), x[2]));
         const Tensor labels = Tensor::from_vector<double>(
             {1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0}, Shape{4, 5});
         return neg(mean(sum(mul(labels.cast(h.dtype()), log_softmax(h)), {-1})));
       }},
  };
}

// Tensor `t` as doubles, whatever its float dtype.
std::vector<double> values(const Tensor& t) { return t.cast(DType::kF64).to_vector<double>(); }

// sum(fn(inputs) · w), computed without any tape.
double loss(const Row& row, const Inputs& inputs, const Tensor& w) {
  return spool::kernels::sum(spool::kernels::mul(row.fn(inputs), w)).item_as_double();
}

// The tape's gradient of sum(fn(inputs) · w) w.r.t. every input (zeros when unconnected).
std::vector<Tensor> tape_gradients(const Row& row, const Inputs& inputs, const Tensor& w) {
  GradientTape tape;
  for (const Tensor& x : inputs) tape.watch(x);
  const Tensor target = sum(mul(row.fn(inputs), w));
  return tape.gradient(target, inputs, UnconnectedGradients::kZero);
}

class GradCheck : public ::testing::TestWithParam<Row> {};

TEST_P(GradCheck, MatchesCentralDifferencesInF64AndF32KernelsAgree) {
  const Row& row = GetParam();
  Generator gen(1234);
  Inputs inputs;
  for (const InputSpec& spec : row.inputs)
    inputs.push_back(random_uniform(spec.shape, spec.lo, spec.hi, gen, DType::kF64));
  const Tensor w = random_uniform(row.fn(inputs).shape(), -1, 1, gen, DType::kF64);
  const std::vector<Tensor> grads = tape_gradients(row, inputs, w);
  ASSERT_EQ(grads.size(), inputs.size());

  constexpr double kStep = 1e-5, kTolerance = 1e-6;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_EQ(grads[i].shape(), inputs[i].shape()) << row.name << " input " << i;
    ASSERT_EQ(grads[i].dtype(), DType::kF64) << row.name << " input " << i;
    const std::vector<double> analytic = values(grads[i]);
    double* x = inputs[i].data<double>();
    for (std::int64_t j = 0; j < inputs[i].numel(); ++j) {
      const double saved = x[j];
      x[j] = saved + kStep;
      const double up = loss(row, inputs, w);
      x[j] = saved - kStep;
      const double down = loss(row, inputs, w);
      x[j] = saved;
      const double numeric = (up - down) / (2 * kStep);
      const double a = analytic[static_cast<std::size_t>(j)];
      EXPECT_NEAR(a, numeric, kTolerance * std::max({1.0, std::abs(a), std::abs(numeric)}))
          << row.name << ": d/d input " << i << " element " << j;
    }
  }

  Inputs inputs32;
  for (const Tensor& x : inputs) inputs32.push_back(x.cast(DType::kF32));
  const std::vector<Tensor> grads32 = tape_gradients(row, inputs32, w.cast(DType::kF32));
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_EQ(grads32[i].dtype(), DType::kF32) << row.name << " input " << i;
    const std::vector<double> want = values(grads[i]), got = values(grads32[i]);
    double scale = 1;
    for (double v : want) scale = std::max(scale, std::abs(v));
    for (std::size_t j = 0; j < want.size(); ++j)
      EXPECT_NEAR(got[j], want[j], 1e-4 * scale) << row.name << " (f32): d/d input " << i << " element " << j;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryOp, GradCheck, ::testing::ValuesIn(rows()),
                         [](const ::testing::TestParamInfo<Row>& row_info) { return row_info.param.name; });

}  // namespace
}  // namespace spool::autodiff
