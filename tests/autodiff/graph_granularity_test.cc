// Graph mode's choice of parallel granularity by measurement (autodiff/graph/detail/
// granularity_tuner.h): the tuner's schedule, and replays that switch granularity
// while staying bitwise equal to eager steps.
#include "spool/autodiff/graph/detail/granularity_tuner.h"

#include <gtest/gtest.h>

#include <vector>

#include "spool/autodiff/graph/function.h"
#include "spool/autodiff/layers/model_zoo.h"
#include "spool/autodiff/losses.h"
#include "spool/autodiff/ops.h"
#include "spool/autodiff/optim.h"
#include "spool/autodiff/tape.h"
#include "spool/tensor/random.h"
#include "spool/tensor/thread_pool.h"

namespace spool {
namespace {

using graph::detail::GranularityTuner;

// Hands out one exploration's worth of replays, timing fine ones at `fine` seconds and
// coarse ones at `coarse`; returns what was handed out.
std::vector<Granularity> explore(GranularityTuner& tuner, double fine, double coarse) {
  std::vector<Granularity> out;
  for (int i = 0; i < 2 * GranularityTuner::kTrials; ++i) {
    out.push_back(tuner.next(2));
    tuner.record(out.back() == Granularity::kFine ? fine : coarse);
  }
  return out;
}

TEST(GranularityTuner, OneThreadIsAlwaysCoarse) {
  GranularityTuner tuner;
  for (int i = 0; i < 2000; ++i) {
    ASSERT_EQ(tuner.next(1), Granularity::kCoarse);
    tuner.record(i % 2 ? 1e-6 : 1.0);
  }
  EXPECT_EQ(tuner.coarse_seconds(), 0) << "nothing was measured";
}

TEST(GranularityTuner, KeepsTheFasterAndMeasuresAgainToFollowTheMachine) {
  GranularityTuner tuner;
  for (int i = 0; i < GranularityTuner::kWarmup; ++i) {
    EXPECT_EQ(tuner.next(2), Granularity::kCoarse);
    tuner.record(100.0);  // untimed: must not count
  }
  const std::vector<Granularity> tried = explore(tuner, 1e-4, 2e-4);
  EXPECT_EQ(std::count(tried.begin(), tried.end(), Granularity::kFine), GranularityTuner::kTrials);
  for (int i = 0; i < GranularityTuner::kExploit; ++i) {
    ASSERT_EQ(tuner.next(2), Granularity::kFine) << "replay " << i << " of the exploitation";
    tuner.record(5.0);  // untimed
  }
  EXPECT_EQ(tuner.chosen(), Granularity::kFine);
  EXPECT_DOUBLE_EQ(tuner.fine_seconds(), 1e-4);
  EXPECT_DOUBLE_EQ(tuner.coarse_seconds(), 2e-4);

  // The second core got busy: the next exploration finds coarse faster and keeps it.
  explore(tuner, 3e-4, 2e-4);
  EXPECT_EQ(tuner.next(2), Granularity::kCoarse);
  EXPECT_EQ(tuner.chosen(), Granularity::kCoarse);

  // A median, so one outlier does not decide.
  GranularityTuner noisy;
  for (int i = 0; i < GranularityTuner::kWarmup; ++i) noisy.next(2);
  for (int i = 0; i < 2 * GranularityTuner::kTrials; ++i) {
    const Granularity g = noisy.next(2);
    noisy.record(g == Granularity::kFine ? (i == 1 ? 10.0 : 1e-4) : (i == 0 ? 1e-9 : 2e-4));
  }
  EXPECT_EQ(noisy.next(2), Granularity::kFine);
}

TEST(GranularityTuner, AReplayThatThrewRecordsNothing) {
  GranularityTuner tuner;
  for (int i = 0; i < GranularityTuner::kWarmup + 2 * GranularityTuner::kTrials + 1; ++i) tuner.next(2);
  EXPECT_EQ(tuner.chosen(), Granularity::kCoarse);
  EXPECT_EQ(tuner.coarse_seconds(), 0);
}

// The MLP at batch 32 on two threads: its products and its Adam update split only when
// fine. Replays cover the warm-up, an exploration of both granularities and the
// exploitation after it; every one equals the eager step bitwise.
TEST(GraphGranularity, ReplaysThatSwitchGranularityEqualEagerBitwise) {
  const int before = num_threads();
  set_num_threads(2);
  layers::Sequential eager_model = layers::zoo_model("mlp", Shape{28, 28, 1}, 10, 3);
  layers::Sequential graph_model = layers::zoo_model("mlp", Shape{28, 28, 1}, 10, 3);
  autodiff::Adam eager_adam(autodiff::AdamOptions().learning_rate(0.01));
  autodiff::Adam graph_adam(autodiff::AdamOptions().learning_rate(0.01));
  const auto step = [](layers::Sequential& model, autodiff::Optimizer& opt, const Tensor& x, const Tensor& y) {
    const std::vector<autodiff::Variable> vars = model.trainable_variables();
    autodiff::GradientTape tape;
    const Tensor l = mean(losses::sparse_categorical_crossentropy(y, model(x, {.training = true}), true));
    opt.apply_gradients(tape.gradient(l, std::span<const autodiff::Variable>(vars)), vars);
    return std::vector<Tensor>{l};
  };
  Function traced = spool::function(
      [&](std::span<const Tensor> in) { return step(graph_model, graph_adam, in[0], in[1]); });
  Generator gen(11);
  const int steps = 1 + GranularityTuner::kWarmup + 2 * GranularityTuner::kTrials + 4;
  for (int s = 0; s < steps; ++s) {
    const Tensor x = random_uniform(Shape{32, 28, 28, 1}, 0, 1, gen);
    std::vector<std::int64_t> labels;
    for (int i = 0; i < 32; ++i) labels.push_back(static_cast<std::int64_t>(gen.next_u64() % 10));
    const Tensor y = Tensor::from_vector(labels, Shape{32});
    const std::vector<Tensor> eager = step(eager_model, eager_adam, x, y);
    const std::vector<Tensor> graph = traced({x, y});
    ASSERT_EQ(graph[0].to_vector<float>(), eager[0].to_vector<float>()) << "step " << s;
    for (std::size_t v = 0; v < eager_model.variables().size(); ++v)
      ASSERT_EQ(graph_model.variables()[v].unwatched_value().to_vector<float>(),
                eager_model.variables()[v].unwatched_value().to_vector<float>())
          << "step " << s << ", variable " << v;
  }
  EXPECT_NE(traced.graph().find("parallel granularity: "), std::string::npos) << traced.graph();
  set_num_threads(before);
}

}  // namespace
}  // namespace spool
