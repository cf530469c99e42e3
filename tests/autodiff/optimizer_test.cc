// What every optimizer shares: arena-laid-out slots, runs over adjacent variables,
// no tape recording, argument checks, convergence, and the state round trip.
#include "spool/autodiff/optim/optimizer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <limits>

#include "optimizer_test_support.h"
#include "spool/autodiff/ops.h"
#include "spool/autodiff/optim.h"
#include "spool/autodiff/tape.h"
#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/warning.h"

namespace spool::autodiff {
namespace {

using V = std::vector<double>;
using MakeOptimizer = std::function<std::unique_ptr<Optimizer>()>;

const std::vector<std::pair<std::string, MakeOptimizer>>& all_optimizers() {
  static const std::vector<std::pair<std::string, MakeOptimizer>> table{
      {"sgd", [] { return std::make_unique<SGD>(SGDOptions().learning_rate(0.05).momentum(0.9)); }},
      {"sgd_nesterov",
       [] { return std::make_unique<SGD>(SGDOptions().learning_rate(0.05).momentum(0.9).nesterov(true)); }},
      {"adam", [] { return std::make_unique<Adam>(AdamOptions().learning_rate(0.05)); }},
      {"amsgrad", [] { return std::make_unique<Adam>(AdamOptions().learning_rate(0.05).amsgrad(true)); }},
      {"rmsprop", [] { return std::make_unique<RMSprop>(RMSpropOptions().learning_rate(0.01)); }},
      {"rmsprop_centered_momentum",
       [] { return std::make_unique<RMSprop>(RMSpropOptions().learning_rate(0.01).centered(true).momentum(0.5)); }},
      {"adagrad", [] { return std::make_unique<Adagrad>(AdagradOptions().learning_rate(0.5)); }},
  };
  return table;
}

// Two f32 variables in one arena, with sizes that leave a gap between them.
struct TwoInArena {
  VariableArena arena;
  std::vector<Variable> vars;
  TwoInArena() {
    vars.push_back(arena.add("a", Tensor::from_vector<float>({1, 2, 3, 4, 5}, Shape{5})));
    vars.push_back(arena.add("b", Tensor::from_vector<float>({-1, -2, -3}, Shape{3})));
  }
};

// sum((w - target)^2) over every variable, through the tape.
std::vector<Tensor> quadratic_gradients(const std::vector<Variable>& vars, double target) {
  GradientTape tape;
  Tensor loss;
  for (const Variable& v : vars) {
    const Tensor term = sum(pow(sub(v, target), 2.0));
    loss = loss.defined() ? add(loss, term) : term;
  }
  return tape.gradient(loss, vars);
}

TEST(Optimizer, EveryOptimizerConvergesOnAQuadratic) {
  for (const auto& [name, make] : all_optimizers()) {
    TwoInArena m;
    std::unique_ptr<Optimizer> opt = make();
    for (int step = 0; step < 600; ++step) opt->apply_gradients(quadratic_gradients(m.vars, 0.5), m.vars);
    for (const Variable& v : m.vars)
      for (float x : v.unwatched_value().to_vector<float>()) EXPECT_NEAR(x, 0.5, 2e-2) << name << " " << v.name();
  }
}

TEST(Optimizer, AFlatGradientBufferGivesTheSameStepAsSeparateGradients) {
  // Views of one buffer laid out like the arena merge into one run; the result must
  // not depend on it, gaps included.
  for (const auto& [name, make] : all_optimizers()) {
    TwoInArena separate, flat;
    std::unique_ptr<Optimizer> a = make(), b = make();
    for (int step = 0; step < 3; ++step) {
      const std::vector<Tensor> grads = quadratic_gradients(separate.vars, 0.25);
      Tensor buffer = Tensor::zeros(Shape{flat.arena.size()}, DType::kF32);
      std::vector<Tensor> views;
      for (std::size_t i = 0; i < grads.size(); ++i) {
        views.push_back(flat.arena.slice_of(buffer, i));
        std::memcpy(views.back().raw_data(), grads[i].contiguous().raw_data(), grads[i].numel() * sizeof(float));
      }
      a->apply_gradients(grads, separate.vars);
      b->apply_gradients(views, flat.vars);
    }
    for (std::size_t i = 0; i < 2; ++i)
      EXPECT_EQ(separate.vars[i].unwatched_value().to_vector<float>(), flat.vars[i].unwatched_value().to_vector<float>())
          << name;
  }
}

TEST(Optimizer, SlotsFollowTheArenaLayoutAndSurviveItsGrowth) {
  TwoInArena m;
  SGD sgd(SGDOptions().learning_rate(1).momentum(0.5));
  sgd.apply_gradients(std::vector<Tensor>{Tensor::ones(Shape{5}, DType::kF32), Tensor::ones(Shape{3}, DType::kF32)},
                      m.vars);
  // Growing the arena moves every variable's bytes; the optimizer must follow them.
  Variable c = m.arena.add("c", Tensor::zeros(Shape{5000}, DType::kF32));
  m.vars.push_back(c);
  sgd.apply_gradients(std::vector<Tensor>{Tensor::ones(Shape{5}, DType::kF32), Tensor(),
                                          Tensor::ones(Shape{5000}, DType::kF32)},
                      m.vars);
  // a: m = -1, w = 0..4; then m = -1.5, w = -1.5..2.5. b skipped on step 2. c: one step.
  EXPECT_EQ(m.vars[0].unwatched_value().to_vector<float>(), (std::vector<float>{-1.5, -0.5, 0.5, 1.5, 2.5}));
  EXPECT_EQ(m.vars[1].unwatched_value().to_vector<float>(), (std::vector<float>{-2, -3, -4}));
  EXPECT_EQ(c.unwatched_value().to_vector<float>()[4999], -1.0f);
  EXPECT_EQ(sgd.iterations(), 2);
}

TEST(Optimizer, ApplyingRecordsNothingOnAnActiveTape) {
  TwoInArena m;
  Adam adam;
  const std::vector<Tensor> grads = quadratic_gradients(m.vars, 0);
  GradientTape tape;
  adam.apply_gradients(grads, m.vars);
  EXPECT_EQ(tape.recorded_ops(), 0);
}

TEST(Optimizer, RefusesMismatchedGradients) {
  TwoInArena m;
  Adam adam;
  try {
    adam.apply_gradients(std::vector<Tensor>{Tensor::ones(Shape{4}, DType::kF32), Tensor::ones(Shape{3}, DType::kF32)},
                         m.vars);
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "adam.apply_gradients: the gradient of 'a' is f32 [4], the variable is f32 [5]");
  }
  EXPECT_THROW(adam.apply_gradients(std::vector<Tensor>{Tensor::ones(Shape{5}, DType::kF32)}, m.vars),
               InvalidArgument);
  EXPECT_THROW(adam.apply_gradients(std::vector<Tensor>{Tensor::ones(Shape{5}, DType::kF64), Tensor()}, m.vars),
               InvalidArgument);
  EXPECT_EQ(adam.iterations(), 0);
}

TEST(Optimizer, StateRoundTripContinuesTheSameTrajectory) {
  for (const auto& [name, make] : all_optimizers()) {
    TwoInArena one, two;
    std::unique_ptr<Optimizer> first = make(), second = make();
    for (int step = 0; step < 3; ++step) first->apply_gradients(quadratic_gradients(one.vars, 0.3), one.vars);
    // Move the weights and the state across, then step both.
    for (std::size_t i = 0; i < 2; ++i) two.vars[i].assign(one.vars[i].unwatched_value());
    std::vector<NamedTensor> state;
    for (const NamedTensor& t : first->state()) state.push_back({t.name, t.tensor.clone()});
    second->build(two.vars);
    second->load_state(state);
    EXPECT_EQ(second->iterations(), 3) << name;
    for (int step = 0; step < 2; ++step) {
      first->apply_gradients(quadratic_gradients(one.vars, 0.3), one.vars);
      second->apply_gradients(quadratic_gradients(two.vars, 0.3), two.vars);
    }
    for (std::size_t i = 0; i < 2; ++i)
      EXPECT_EQ(one.vars[i].unwatched_value().to_vector<float>(), two.vars[i].unwatched_value().to_vector<float>())
          << name;
  }
}

// Found by fuzzing the checkpoint loader: a saved step count of INT64_MAX (or below 0)
// was accepted and overflowed at the next step.
TEST(Optimizer, LoadStateRefusesAStepCountOutsideItsRangeAndChangesNothing) {
  TwoInArena m;
  Adam adam;
  adam.apply_gradients(quadratic_gradients(m.vars, 0.3), m.vars);
  const std::vector<NamedTensor> good = adam.state();
  for (const std::int64_t bad : {std::numeric_limits<std::int64_t>::max(), std::int64_t{-1}, (std::int64_t{1} << 53) + 1}) {
    std::vector<NamedTensor> state;
    for (const NamedTensor& t : good)
      state.push_back({t.name, t.name == "optimizer/adam/iterations" ? Tensor::scalar<std::int64_t>(bad) : t.tensor.clone()});
    try {
      adam.load_state(state);
      FAIL() << bad << " was accepted";
    } catch (const InvalidArgument& e) {
      EXPECT_EQ(std::string(e.what()), "adam.load_state: 'optimizer/adam/iterations' is " + std::to_string(bad) +
                                           ", outside [0, 2^53]");
    }
    EXPECT_EQ(adam.iterations(), 1);
  }
}

TEST(Optimizer, StateNamesAreKindSlotVariable) {
  TwoInArena m;
  Adam adam;
  adam.build(m.vars);
  std::vector<std::string> names;
  for (const NamedTensor& t : adam.state()) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"optimizer/adam/m/a", "optimizer/adam/v/a", "optimizer/adam/m/b",
                                             "optimizer/adam/v/b", "optimizer/adam/iterations"}));
}

std::string load_error(Optimizer& opt, const std::vector<NamedTensor>& state) {
  try {
    opt.load_state(state);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "no error";
}

TEST(Optimizer, LoadStateRefusesMissingOrMisshapenSlotsWithoutChangingAnything) {
  TwoInArena m;
  Adam adam;
  adam.apply_gradients(quadratic_gradients(m.vars, 0), m.vars);
  std::vector<NamedTensor> state;
  for (const NamedTensor& t : adam.state()) state.push_back({t.name, t.tensor.clone()});
  const std::vector<NamedTensor> before = state;

  std::vector<NamedTensor> missing = state;
  missing.erase(missing.begin() + 2);  // optimizer/adam/m/b
  missing.back().tensor = Tensor::scalar<std::int64_t>(99);
  EXPECT_EQ(load_error(adam, missing), "adam.load_state: no tensor 'optimizer/adam/m/b' for variable 'b'");

  std::vector<NamedTensor> misshapen = state;
  misshapen[1].tensor = Tensor::zeros(Shape{6}, DType::kF32);
  EXPECT_EQ(load_error(adam, misshapen),
            "adam.load_state: 'optimizer/adam/v/a' is f32 [6] but variable 'a' is f32 [5]");
  EXPECT_EQ(adam.iterations(), 1) << "a refused state changes nothing";

  Adam fresh;
  EXPECT_EQ(load_error(fresh, state),
            "adam.load_state: the state holds 'optimizer/adam/m/a' but this optimizer knows no variables yet: "
            "build(variables) first");
  SGD sgd(SGDOptions().momentum(0.9));
  sgd.build(m.vars);
  EXPECT_EQ(load_error(sgd, state), "sgd.load_state: no tensor 'optimizer/sgd/iterations' for the step counter");
}

TEST(Optimizer, StandaloneVariablesGetTheirOwnBuffers) {
  // Variables outside any arena (and of both dtypes) in one call.
  const std::vector<Variable> vars{Variable("x", Tensor::from_vector<double>({1, 2})),
                                   Variable("y", Tensor::from_vector<float>({3}))};
  SGD sgd(SGDOptions().learning_rate(0.5).momentum(0.5));
  for (int step = 0; step < 2; ++step)
    sgd.apply_gradients(std::vector<Tensor>{Tensor::from_vector<double>({1, 1}), Tensor::from_vector<float>({2})},
                        vars);
  EXPECT_EQ(vars[0].unwatched_value().to_vector<double>(), (V{-0.25, 0.75}));  // -0.5, then -0.75
  EXPECT_EQ(vars[1].unwatched_value().to_vector<float>(), (std::vector<float>{0.5f}));  // -1, then -1.5
}

// A variable the loss reaches only through a raw kernel has no gradient: the optimizer
// names it (Keras' warning) instead of skipping it in silence, or throws when asked to.
TEST(Optimizer, MissingGradientsAreReportedByName) {
  TwoInArena m;
  std::vector<Tensor> grads;
  {
    GradientTape tape;
    const Tensor loss = sum(m.vars[0].value() * 2.0) + sum(kernels::mul(m.vars[1].value(), 2.0));
    grads = tape.gradient(loss, std::span<const Variable>(m.vars));
  }
  ASSERT_TRUE(grads[0].defined());
  ASSERT_FALSE(grads[1].defined());
  std::vector<std::string> warnings;
  const WarningSink previous = set_warning_sink([&](std::string_view w) { warnings.emplace_back(w); });
  SGD sgd(SGDOptions().learning_rate(0.5));
  sgd.apply_gradients(grads, m.vars);
  sgd.apply_gradients(grads, m.vars);
  set_warning_sink(previous);
  ASSERT_EQ(warnings.size(), 1u) << "once per set of names";
  EXPECT_NE(warnings[0].find("gradients do not exist for variables 'b'"), std::string::npos) << warnings[0];
  EXPECT_EQ(m.vars[0].unwatched_value().to_vector<float>()[0], -1.0f) << "the others still step: 1 - 2 * 0.5 * 2";

  SGD strict(SGDOptions().learning_rate(0.5).missing_gradients(MissingGradients::kError));
  const std::vector<float> before = m.vars[0].unwatched_value().to_vector<float>();
  try {
    strict.apply_gradients(grads, m.vars);
    FAIL() << "kError must throw";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'b'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(m.vars[0].unwatched_value().to_vector<float>(), before) << "nothing updated before the throw";
}

}  // namespace
}  // namespace spool::autodiff
