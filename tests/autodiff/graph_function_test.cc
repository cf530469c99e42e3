// spool::function: a traced step replays to the same bits as eager execution, traces
// again only on a new signature, allocates nothing while it replays, prints its plan,
// and refuses what a replay would get silently wrong.
#include "spool/autodiff/graph/function.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "spool/autodiff/layers/model_zoo.h"
#include "spool/autodiff/losses.h"
#include "spool/autodiff/ops.h"
#include "spool/autodiff/optim.h"
#include "spool/autodiff/tape.h"
#include "spool/tensor/error.h"
#include "spool/tensor/random.h"

namespace spool {
namespace {

std::vector<float> bits_of(const std::vector<autodiff::Variable>& vars) {
  std::vector<float> out;
  for (const auto& v : vars) {
    const std::vector<float> x = v.unwatched_value().to_vector<float>();
    out.insert(out.end(), x.begin(), x.end());
  }
  return out;
}

struct Batch {
  Tensor x, y;
};

std::vector<Batch> batches(const Shape& image, std::int64_t n, std::int64_t count, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<Batch> out;
  for (std::int64_t b = 0; b < count; ++b) {
    std::vector<std::int64_t> dims{n};
    dims.insert(dims.end(), image.dims().begin(), image.dims().end());
    Tensor x = random_uniform(Shape(dims), 0, 1, gen);
    std::vector<std::int64_t> labels;
    for (std::int64_t i = 0; i < n; ++i) labels.push_back(static_cast<std::int64_t>(gen.next_u64() % 10));
    out.push_back({x, Tensor::from_vector(labels, Shape{n})});
  }
  return out;
}

// One training step as Trainer runs it: forward, loss, gradient, optimizer update.
std::vector<Tensor> train_step(layers::Sequential& model, autodiff::Optimizer& opt, const Tensor& x, const Tensor& y) {
  const std::vector<autodiff::Variable> vars = model.trainable_variables();
  autodiff::GradientTape tape;
  const Tensor logits = model(x, {.training = true});
  const Tensor loss = mean(losses::sparse_categorical_crossentropy(y, logits, /*from_logits=*/true));
  const std::vector<Tensor> grads = tape.gradient(loss, std::span<const autodiff::Variable>(vars));
  opt.apply_gradients(grads, vars);
  return {loss, logits};
}

void expect_graph_equals_eager(const std::string& arch, const Shape& image, std::int64_t batch) {
  layers::Sequential eager_model = layers::zoo_model(arch, image, 10, 7);
  layers::Sequential graph_model = layers::zoo_model(arch, image, 10, 7);
  autodiff::Adam eager_opt(autodiff::AdamOptions().learning_rate(0.01));
  autodiff::Adam graph_opt(autodiff::AdamOptions().learning_rate(0.01));
  Function step = spool::function([&](std::span<const Tensor> in) { return train_step(graph_model, graph_opt, in[0], in[1]); },
                                  FunctionOptions().name(arch));
  for (const Batch& b : batches(image, batch, 4, 3)) {
    const std::vector<Tensor> eager = train_step(eager_model, eager_opt, b.x, b.y);
    const std::vector<Tensor> graph = step({b.x, b.y});
    ASSERT_EQ(graph.size(), 2u);
    EXPECT_EQ(graph[0].item<float>(), eager[0].item<float>()) << arch;
    EXPECT_EQ(graph[1].to_vector<float>(), eager[1].to_vector<float>()) << arch;
    ASSERT_EQ(bits_of(graph_model.trainable_variables()), bits_of(eager_model.trainable_variables())) << arch;
  }
  EXPECT_EQ(step.retraces(), 1);
  EXPECT_EQ(graph_opt.iterations(), 4);
}

TEST(GraphFunction, MlpStepEqualsEagerBitwise) { expect_graph_equals_eager("mlp", Shape{28, 28, 1}, 32); }
TEST(GraphFunction, CnnStepEqualsEagerBitwise) { expect_graph_equals_eager("cnn", Shape{28, 28, 1}, 16); }

}  // namespace
}  // namespace spool
