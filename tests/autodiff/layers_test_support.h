// What the layer and model tests share: small tensors, the message of an
// InvalidArgument, and the numerical gradient check — the tape's gradient of
// sum(model(xs) · w) with respect to every input and every trainable variable of an f64
// model, against central differences of the same function run without a tape.
//
//   Sequential model("m", DType::kF64);
//   model.add(Dense(DenseOptions(3)));
//   model.build(Shape{4}, 5);
//   expect_gradients_match(model, {uniform64(Shape{2, 4}, 1)});
//   EXPECT_NE(error_of([&] { model(bad); }).find("Dense 'dense'"), std::string::npos);
//
// Thread-safety: plain test helpers.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "spool/autodiff/layers/model.h"
#include "spool/autodiff/ops.h"
#include "spool/autodiff/tape.h"
#include "spool/tensor/random.h"

namespace spool::layers::testing {

inline Tensor f32s(std::vector<float> v, Shape shape) { return Tensor::from_vector(v, std::move(shape)); }

// U(lo, hi) from Generator(seed), f32 or f64.
inline Tensor uniform32(Shape shape, std::uint64_t seed, double lo = -1, double hi = 1) {
  Generator gen(seed);
  return random_uniform(std::move(shape), lo, hi, gen);
}
inline Tensor uniform64(Shape shape, std::uint64_t seed, double lo = -1, double hi = 1) {
  Generator gen(seed);
  return random_uniform(std::move(shape), lo, hi, gen, DType::kF64);
}

// The message of the InvalidArgument fn throws, or "(no InvalidArgument)".
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "(no InvalidArgument)";
}

// before_each_call runs before every call of the model (to reset a Dropout generator).
inline void expect_gradients_match(Model& model, const std::vector<Tensor>& xs, const CallContext& context = {},
                                   const std::function<void()>& before_each_call = [] {}) {
  const auto loss_of = [&](const Tensor& y, const Tensor& w) { return sum(mul(y, w)); };
  before_each_call();
  Generator wgen(99);
  const Tensor w = random_uniform(model(xs, context)[0].shape(), -1, 1, wgen, DType::kF64);
  std::vector<Tensor> sources = xs;
  for (const autodiff::Variable& v : model.trainable_variables()) sources.push_back(v.unwatched_value());
  std::vector<Tensor> grads;
  {
    autodiff::GradientTape tape;
    for (const Tensor& x : xs) tape.watch(x);
    before_each_call();
    const Tensor loss = loss_of(model(xs, context)[0], w);
    grads = tape.gradient(loss, sources, autodiff::UnconnectedGradients::kZero);
  }
  constexpr double kStep = 1e-6;
  for (std::size_t s = 0; s < sources.size(); ++s) {
    double* p = sources[s].data<double>();
    const std::vector<double> analytic = grads[s].cast(DType::kF64).to_vector<double>();
    ASSERT_EQ(static_cast<std::int64_t>(analytic.size()), sources[s].numel());
    for (std::int64_t j = 0; j < sources[s].numel(); ++j) {
      const double saved = p[j];
      p[j] = saved + kStep;
      before_each_call();
      const double up = loss_of(model(xs, context)[0], w).item<double>();
      p[j] = saved - kStep;
      before_each_call();
      const double down = loss_of(model(xs, context)[0], w).item<double>();
      p[j] = saved;
      const double numeric = (up - down) / (2 * kStep);
      EXPECT_NEAR(analytic[j], numeric, 1e-5 * std::max(1.0, std::abs(numeric)))
          << model.layers().back()->type() << " source " << s << " element " << j;
    }
  }
}

}  // namespace spool::layers::testing
