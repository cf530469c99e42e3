// spool::function: a traced step replays to the same bits as eager execution (every
// layer, loss and optimizer), traces again only on a new signature, allocates nothing
// while it replays, prints its plan, and refuses what a replay would get silently wrong.
#include "spool/autodiff/graph/function.h"

#include "spool/autodiff/graph/trace.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "spool/autodiff/graph/control_flow.h"
#include "spool/autodiff/layers.h"
#include "spool/autodiff/layers/model_zoo.h"
#include "spool/autodiff/losses.h"
#include "spool/autodiff/ops.h"
#include "spool/autodiff/optim.h"
#include "spool/autodiff/tape.h"
#include "spool/tensor/error.h"
#include "spool/tensor/graph_hooks.h"
#include "spool/tensor/random.h"
#include "spool/tensor/storage.h"
#include "spool/tensor/warning.h"

namespace spool {
namespace {

using ModelMaker = std::function<layers::Sequential()>;
using LossFn = std::function<Tensor(const Tensor& labels, const Tensor& predictions)>;
using OptimizerMaker = std::function<std::unique_ptr<autodiff::Optimizer>()>;

struct Batch {
  Tensor x, y;
};

std::vector<float> values_of(const layers::Sequential& model) {
  std::vector<float> out;
  for (const auto& v : model.variables()) {  // BN's moving statistics too
    const std::vector<float> x = v.unwatched_value().to_vector<float>();
    out.insert(out.end(), x.begin(), x.end());
  }
  return out;
}

Tensor images(std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c, std::uint64_t seed) {
  Generator gen(seed);
  return random_uniform(Shape{n, h, w, c}, 0, 1, gen);
}

Tensor classes(std::int64_t n, std::int64_t k, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<std::int64_t> labels;
  for (std::int64_t i = 0; i < n; ++i) labels.push_back(static_cast<std::int64_t>(gen.next_u64() % static_cast<std::uint64_t>(k)));
  return Tensor::from_vector(labels, Shape{n});
}

// A step as a custom training loop writes it; dropout draws from *rng.
std::vector<Tensor> step(layers::Sequential& model, autodiff::Optimizer& opt, const LossFn& loss, Generator* rng,
                         const Tensor& x, const Tensor& y) {
  const std::vector<autodiff::Variable> vars = model.trainable_variables();
  autodiff::GradientTape tape;
  const Tensor predictions = model(x, {.training = true, .rng = rng});
  const Tensor l = mean(loss(y, predictions));
  const std::vector<Tensor> grads = tape.gradient(l, std::span<const autodiff::Variable>(vars));
  opt.apply_gradients(grads, vars);
  return {l, predictions};
}

// Three steps eager and three traced-then-replayed, on twin models: the same bits.
void expect_graph_equals_eager(const std::string& what, const ModelMaker& make, const LossFn& loss,
                               const OptimizerMaker& make_optimizer, const std::vector<Batch>& data) {
  layers::Sequential eager_model = make(), graph_model = make();
  std::unique_ptr<autodiff::Optimizer> eager_opt = make_optimizer(), graph_opt = make_optimizer();
  Generator eager_rng(5), graph_rng(5);
  Function traced = spool::function(
      [&](std::span<const Tensor> in) { return step(graph_model, *graph_opt, loss, &graph_rng, in[0], in[1]); },
      FunctionOptions().name(what));
  for (std::size_t s = 0; s < data.size(); ++s) {
    eager_rng = graph_rng = Generator(5, s);
    const std::vector<Tensor> eager = step(eager_model, *eager_opt, loss, &eager_rng, data[s].x, data[s].y);
    const std::vector<Tensor> graph = traced({data[s].x, data[s].y});
    ASSERT_EQ(graph.size(), 2u) << what;
    EXPECT_EQ(graph[0].to_vector<float>(), eager[0].to_vector<float>()) << what << ", step " << s;
    EXPECT_EQ(graph[1].to_vector<float>(), eager[1].to_vector<float>()) << what << ", step " << s;
    ASSERT_EQ(values_of(graph_model), values_of(eager_model)) << what << ", step " << s;
  }
  EXPECT_EQ(traced.retraces(), 1) << what;
  EXPECT_EQ(graph_opt->iterations(), static_cast<std::int64_t>(data.size())) << what;
}

std::vector<Batch> image_batches(std::int64_t n, std::int64_t k) {
  std::vector<Batch> out;
  for (std::uint64_t s = 0; s < 3; ++s) out.push_back({images(n, 12, 12, 2, 10 + s), classes(n, k, 20 + s)});
  return out;
}

Tensor one_hot_of(const Tensor& labels, std::int64_t k) {
  const std::vector<std::int64_t> l = labels.to_vector<std::int64_t>();
  std::vector<float> v(l.size() * static_cast<std::size_t>(k), 0.0f);
  for (std::size_t i = 0; i < l.size(); ++i) v[i * static_cast<std::size_t>(k) + static_cast<std::size_t>(l[i])] = 1;
  return Tensor::from_vector(v, Shape{static_cast<std::int64_t>(l.size()), k});
}

layers::Sequential built(layers::Sequential model, const Shape& input) {
  model.build(input, 3);
  return model;
}

LossFn sparse_from_logits() {
  return [](const Tensor& y, const Tensor& p) { return losses::sparse_categorical_crossentropy(y, p, true); };
}

OptimizerMaker adam() {
  return [] { return std::make_unique<autodiff::Adam>(autodiff::AdamOptions().learning_rate(0.01)); };
}

TEST(GraphFunction, EveryLayerEqualsEagerBitwise) {
  using namespace layers;
  const std::vector<std::pair<std::string, ModelMaker>> models = {
      {"dense", [] {
         Sequential m("dense");
         m.add(Flatten()).add(Dense(DenseOptions(16).activation("relu"))).add(Dense(DenseOptions(8).activation("sigmoid")));
         m.add(Dense(DenseOptions(8).activation("tanh"))).add(Dense(DenseOptions(4)));
         return built(std::move(m), Shape{12, 12, 2});
       }},
      {"conv_pooling", [] {
         Sequential m("conv");
         m.add(Conv2D(layers::Conv2DOptions(8, 3).activation("relu"))).add(MaxPooling2D());
         m.add(Conv2D(layers::Conv2DOptions(8, 3).padding(Padding::kSame))).add(AveragePooling2D());
         m.add(Flatten()).add(Dense(DenseOptions(4)));
         return built(std::move(m), Shape{12, 12, 2});
       }},
      {"batch_norm_dropout", [] {
         Sequential m("bn");
         m.add(Flatten()).add(Dense(DenseOptions(16))).add(BatchNormalization()).add(Dropout(0.3));
         m.add(Dense(DenseOptions(4)));
         return built(std::move(m), Shape{12, 12, 2});
       }},
      {"global_pooling_and_ops", [] {
         Sequential m("ops");
         m.add(Conv2D(layers::Conv2DOptions(8, 3).activation("sigmoid"))).add(GlobalAveragePooling2D());
         m.add([](const Tensor& x, const CallContext&) { return add(tanh(x), clip(mul(x, x), 0.0, 1.0)); }, "mix");
         m.add([](const Tensor& x, const CallContext&) { return sub(maximum(x, 0.1), div(exp(neg(abs(x))), 2.0)); }, "mix2");
         m.add(Dense(DenseOptions(4)));
         return built(std::move(m), Shape{12, 12, 2});
       }},
  };
  for (const auto& [name, make] : models)
    expect_graph_equals_eager(name, make, sparse_from_logits(), adam(), image_batches(6, 4));
}

TEST(GraphFunction, EmbeddingEqualsEagerBitwise) {
  const ModelMaker make = [] {
    layers::Sequential m("embed");
    m.add(layers::Embedding(20, 4)).add(layers::Flatten()).add(layers::Dense(layers::DenseOptions(3)));
    return built(std::move(m), Shape{5});
  };
  std::vector<Batch> data;
  for (std::uint64_t s = 0; s < 3; ++s) {
    const Tensor ids = classes(4 * 5, 20, 30 + s).reshape({4, 5});
    data.push_back({ids, classes(4, 3, 40 + s)});
  }
  expect_graph_equals_eager("embedding", make, sparse_from_logits(), adam(), data);
}

TEST(GraphFunction, EveryLossEqualsEagerBitwise) {
  const ModelMaker make = [] {
    layers::Sequential m("m");
    m.add(layers::Flatten()).add(layers::Dense(layers::DenseOptions(8).activation("relu")));
    m.add(layers::Dense(layers::DenseOptions(4)));
    return built(std::move(m), Shape{12, 12, 2});
  };
  std::vector<Batch> sparse = image_batches(6, 4), dense;
  for (const Batch& b : sparse) dense.push_back({b.x, one_hot_of(b.y, 4)});
  const std::vector<std::pair<std::string, LossFn>> with_sparse = {
      {"sparse_categorical_crossentropy", sparse_from_logits()},
      {"sparse_categorical_crossentropy(softmax)",
       [](const Tensor& y, const Tensor& p) { return losses::sparse_categorical_crossentropy(y, softmax(p)); }}};
  const std::vector<std::pair<std::string, LossFn>> with_dense = {
      {"categorical_crossentropy",
       [](const Tensor& y, const Tensor& p) { return losses::categorical_crossentropy(y, p, true); }},
      {"binary_crossentropy", [](const Tensor& y, const Tensor& p) { return losses::binary_crossentropy(y, p, true); }},
      {"binary_crossentropy(sigmoid)",
       [](const Tensor& y, const Tensor& p) { return losses::binary_crossentropy(y, sigmoid(p)); }},
      {"mean_squared_error", [](const Tensor& y, const Tensor& p) { return losses::mean_squared_error(y, p); }},
      {"mean_absolute_error", [](const Tensor& y, const Tensor& p) { return losses::mean_absolute_error(y, p); }},
      {"huber", [](const Tensor& y, const Tensor& p) { return losses::huber(y, p, 0.5); }},
      {"log_softmax", [](const Tensor& y, const Tensor& p) { return neg(sum(mul(y, log_softmax(p)), {-1})); }}};
  for (const auto& [name, loss] : with_sparse) expect_graph_equals_eager(name, make, loss, adam(), sparse);
  for (const auto& [name, loss] : with_dense) expect_graph_equals_eager(name, make, loss, adam(), dense);
}

TEST(GraphFunction, EveryOptimizerEqualsEagerBitwise) {
  using namespace autodiff;
  const ModelMaker make = [] {
    layers::Sequential m("m");
    m.add(layers::Flatten()).add(layers::Dense(layers::DenseOptions(8).activation("relu")));
    m.add(layers::Dense(layers::DenseOptions(4)));
    return built(std::move(m), Shape{12, 12, 2});
  };
  const std::vector<std::pair<std::string, OptimizerMaker>> optimizers = {
      {"sgd", [] { return std::make_unique<SGD>(SGDOptions().learning_rate(0.1)); }},
      {"sgd_nesterov", [] { return std::make_unique<SGD>(SGDOptions().learning_rate(0.1).momentum(0.9).nesterov(true)); }},
      {"adam", adam()},
      {"adam_amsgrad_clipnorm", [] { return std::make_unique<Adam>(AdamOptions().amsgrad(true).clipnorm(0.01)); }},
      {"adagrad_global_clipnorm", [] { return std::make_unique<Adagrad>(AdagradOptions().global_clipnorm(0.01)); }},
      {"rmsprop_centered", [] { return std::make_unique<RMSprop>(RMSpropOptions().momentum(0.5).centered(true)); }},
      {"adam_schedule", [] {
         return std::make_unique<Adam>(AdamOptions().learning_rate(std::make_shared<ExponentialDecay>(
             ExponentialDecay::Options().initial_learning_rate(0.01).decay_steps(1).decay_rate(0.5))));
       }},
  };
  for (const auto& [name, make_optimizer] : optimizers)
    expect_graph_equals_eager(name, make, sparse_from_logits(), make_optimizer, image_batches(6, 4));
}

TEST(GraphFunction, TheCourseModelsEqualEagerBitwise) {
  for (const char* arch : {"mlp", "cnn"}) {
    const ModelMaker make = [arch] { return layers::zoo_model(arch, Shape{28, 28, 1}, 10, 7); };
    std::vector<Batch> data;
    for (std::uint64_t s = 0; s < 3; ++s) data.push_back({images(16, 28, 28, 1, 50 + s), classes(16, 10, 60 + s)});
    expect_graph_equals_eager(arch, make, sparse_from_logits(), adam(), data);
  }
}

// A model whose step the next tests trace: y = x · w, squared error, SGD.
struct Tiny {
  autodiff::Variable w{"w", Tensor::full(Shape{3, 2}, 0.5, DType::kF32)};
  autodiff::SGD sgd{autodiff::SGDOptions().learning_rate(0.1)};
  std::vector<Tensor> operator()(std::span<const Tensor> in) {
    autodiff::GradientTape tape;
    const Tensor loss = mean(pow(sub(matmul(in[0], w.value()), in[1]), 2.0));
    sgd.apply_gradients(tape.gradient(loss, {w.value()}), std::vector<autodiff::Variable>{w});
    return {loss};
  }
};

Tensor ones(std::int64_t rows, std::int64_t cols, double v = 1) { return Tensor::full(Shape{rows, cols}, v, DType::kF32); }

TEST(GraphFunction, TracesAgainOnANewShapeNotOnNewValues) {
  Tiny tiny;
  Function f = spool::function(std::ref(tiny), FunctionOptions().name("tiny"));
  f({ones(4, 3), ones(4, 2)});
  f({ones(4, 3, 2), ones(4, 2, -1)});  // new values: a replay
  EXPECT_EQ(f.retraces(), 1);
  f({ones(5, 3), ones(5, 2)});  // a new batch size: a trace
  EXPECT_EQ(f.retraces(), 2);
  f({ones(4, 3, 3), ones(4, 2)});  // back to the first shape: its plan is kept
  EXPECT_EQ(f.retraces(), 2);
  EXPECT_EQ(f.plans(), 2u);
  EXPECT_THROW(f({Tensor::full(Shape{4, 3}, 1, DType::kF64), ones(4, 2)}), InvalidArgument);  // f64 · f32 w
  EXPECT_EQ(f.retraces(), 2) << "a failed trace keeps no plan";
}

TEST(GraphFunction, AReplayReadsEachCallsArgumentsAndKeepsNoneOfThem) {
  // Contiguous arguments are lent to the plan for the call; a strided view is copied.
  Function f = spool::function([](std::span<const Tensor> a) {
    return std::vector<Tensor>{mul(a[0], 2.0), a[1]};  // the second result is an argument itself
  });
  const Tensor x0 = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  f({x0, x0});
  const Tensor x1 = Tensor::from_vector<float>({7, 8, 9, 10, 11, 12}, Shape{2, 3});
  const Tensor strided = Tensor::from_vector<float>({-1, -4, -2, -5, -3, -6}, Shape{3, 2}).transpose(0, 1);
  ASSERT_FALSE(strided.is_contiguous());
  for (int repeat = 0; repeat < 2; ++repeat) {
    const std::vector<Tensor> lent = f({x1, x1});
    EXPECT_EQ(lent[0].to_vector<float>(), (std::vector<float>{14, 16, 18, 20, 22, 24}));
    EXPECT_EQ(lent[1].to_vector<float>(), x1.to_vector<float>());
    EXPECT_EQ(x1.storage().use_count(), 1) << "the plan let go of the argument after the call";
    const std::vector<Tensor> copied = f({strided, x0});
    EXPECT_EQ(copied[0].to_vector<float>(), (std::vector<float>{-2, -4, -6, -8, -10, -12}));
    EXPECT_EQ(copied[1].to_vector<float>(), x0.to_vector<float>());
  }
  EXPECT_EQ(f.retraces(), 1);
}

TEST(GraphFunction, AKeptChangingShapeIsWarnedAboutByArgument) {
  Tiny tiny;
  Function f = spool::function(std::ref(tiny), FunctionOptions().name("tiny"));
  std::vector<std::string> warnings;
  const auto previous = set_warning_sink([&](std::string_view m) { warnings.emplace_back(m); });
  for (std::int64_t n = 1; n <= 6; ++n) f({ones(n, 3), ones(n, 2)});
  set_warning_sink(previous);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("argument 0 keeps changing (f32[4,3], then f32[5,3])"), std::string::npos) << warnings[0];
  EXPECT_EQ(f.retraces(), 6);
}

TEST(GraphFunction, AnInputSignatureWithAnUnknownBatchNeitherWarnsNorAcceptsOtherShapes) {
  Tiny tiny;
  Function f = spool::function(std::ref(tiny), FunctionOptions().name("tiny").input_signature(
                                                   {{DType::kF32, {-1, 3}}, {DType::kF32, {-1, 2}}}));
  std::vector<std::string> warnings;
  const auto previous = set_warning_sink([&](std::string_view m) { warnings.emplace_back(m); });
  for (std::int64_t n = 1; n <= 6; ++n) f({ones(n, 3), ones(n, 2)});
  set_warning_sink(previous);
  EXPECT_TRUE(warnings.empty());
  try {
    f({ones(2, 4), ones(2, 2)});
    FAIL() << "a shape outside the signature was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("argument 0 is f32[2,4], its input_signature says f32[?,3]"), std::string::npos)
        << e.what();
  }
}

// Counts tensor allocations on this thread (the hooks graph mode uses, stacked).
class CountingHooks final : public detail::GraphHooks {
 public:
  CountingHooks() : previous_(detail::set_graph_hooks(this)) {}
  ~CountingHooks() { detail::set_graph_hooks(previous_); }
  std::shared_ptr<Storage> allocate(std::size_t bytes) override {
    ++count;
    return detail::allocate_unhooked(bytes);
  }
  void host_read(const Storage&, const char*) override {}
  int count = 0;

 private:
  detail::GraphHooks* previous_;
};

// The course CNN's Adam step, traced (kept in place: the function refers to it).
struct TracedCnnStep {
  layers::Sequential model = layers::zoo_model("cnn", Shape{28, 28, 1}, 10, 7);
  autodiff::Adam opt;
  Generator rng{1};
  Function f = spool::function(
      [this](std::span<const Tensor> in) { return step(model, opt, sparse_from_logits(), &rng, in[0], in[1]); });
};

TEST(GraphFunction, AReplayAllocatesOnlyTheTensorsItReturns) {
  TracedCnnStep cnn;
  const Tensor x = images(8, 28, 28, 1, 1), y = classes(8, 10, 2);
  cnn.f({x, y});  // the trace
  int eager_allocations = 0;
  {
    CountingHooks counting;
    step(cnn.model, cnn.opt, sparse_from_logits(), &cnn.rng, x, y);
    eager_allocations = counting.count;
  }
  CountingHooks counting;
  cnn.f({x, y});
  // The replay's own allocations go through the plan's hooks, not these: only the two
  // copies returned (loss and predictions) reach them.
  EXPECT_EQ(counting.count, 2);
  EXPECT_GT(eager_allocations, 20) << "the eager step allocates per op";
}

TEST(GraphFunction, ThePlanOfASmallModelReadsAsStored) {
  Tiny tiny;
  Function f = spool::function(std::ref(tiny), FunctionOptions().name("tiny"));
  EXPECT_EQ(f.graph(), "");
  f({ones(4, 3), ones(4, 2)});
  const std::filesystem::path stored = std::filesystem::path(SPOOL_SOURCE_DIR) / "tests/autodiff/graph_tiny_sgd_plan.txt";
  std::ifstream in(stored);
  ASSERT_TRUE(in) << stored;
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(f.graph(), text.str());
  const std::string dot = f.dot();
  EXPECT_EQ(dot.rfind("digraph \"tiny\" {", 0), 0u) << dot;
  EXPECT_NE(dot.find("in0 -> n0;"), std::string::npos) << dot;
}

TEST(GraphFunction, ThePlanNamesItsFusedGroups) {
  TracedCnnStep cnn;
  cnn.f({images(4, 28, 28, 1, 1), classes(4, 10, 2)});
  const std::string plan = cnn.f.graph();
  for (const char* group : {"conv2d -> f32[4, 26, 26, 32] [fused conv2d+bias+relu]",
                            "dense -> f32[4, 128] [fused matmul+bias+relu]", "[fused log_softmax+gather]",
                            "grad(dense) [fused relu_grad]", "[fused conv2d_filter_grad+bias_grad]"})
    EXPECT_NE(plan.find(group), std::string::npos) << group << " in\n" << plan;
}

TEST(GraphFunction, AHostReadOfAComputedValueIsRefusedAtTheTrace) {
  autodiff::Variable w("w", Tensor::full(Shape{3}, 1.0, DType::kF32));
  Function f = spool::function([&](std::span<const Tensor> in) -> std::vector<Tensor> {
    const Tensor s = sum(mul(in[0], w.value()));
    // A data-dependent branch on the host: a replay would always take this trace's side.
    if (s.item<float>() > 0) return {s};
    return {neg(s)};
  });
  try {
    f({Tensor::full(Shape{3}, 1.0, DType::kF32)});
    FAIL() << "the host read was traced";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("reads a tensor's values on the host (item())"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(f.retraces(), 0);
}

// y = cond(sum(x) > 1, x / 2, x + 1), then halved while sum > 1: decided at each call.
std::vector<Tensor> branchy(std::span<const Tensor> in) {
  const Tensor x = in[0];
  const std::vector<Tensor> y = cond(
      greater(sum(x), 1.0), {x}, [](std::span<const Tensor> v) { return std::vector<Tensor>{div(v[0], 2.0)}; },
      [](std::span<const Tensor> v) { return std::vector<Tensor>{add(v[0], 1.0)}; });
  const std::vector<Tensor> z = while_loop([](std::span<const Tensor> v) { return greater(sum(v[0]), 1.0); },
                                           [](std::span<const Tensor> v) { return std::vector<Tensor>{div(v[0], 2.0)}; },
                                           {mul(y[0], 3.0)});
  return {y[0], z[0]};
}

TEST(GraphFunction, CondAndWhileLoopDecideAtEveryReplay) {
  Function f = spool::function(branchy, FunctionOptions().name("branchy"));
  for (const double v : {1.0, 0.1, 5.0, 0.2, 40.0}) {  // true, false (its first run), true, false, true
    const Tensor x = Tensor::full(Shape{2}, v, DType::kF32);
    const std::vector<Tensor> eager = branchy(std::vector<Tensor>{x});
    const std::vector<Tensor> graph = f({x});
    EXPECT_EQ(graph[0].to_vector<float>(), eager[0].to_vector<float>()) << v;
    EXPECT_EQ(graph[1].to_vector<float>(), eager[1].to_vector<float>()) << v;
  }
  EXPECT_EQ(f.retraces(), 1);
  EXPECT_NE(f.graph().find("cond"), std::string::npos) << f.graph();
  EXPECT_NE(f.graph().find("while_loop"), std::string::npos) << f.graph();
}

TEST(GraphFunction, ABranchThatCapturesInsteadOfTakingOperandsIsRefused) {
  Function f = spool::function([](std::span<const Tensor> in) -> std::vector<Tensor> {
    const Tensor doubled = mul(in[0], 2.0);
    return cond(greater(sum(in[0]), 0.0), {in[0]},
                [&](std::span<const Tensor>) { return std::vector<Tensor>{add(doubled, 1.0)}; },  // captured
                [](std::span<const Tensor> v) { return std::vector<Tensor>{v[0]}; });
  });
  try {
    f({Tensor::full(Shape{2}, 1.0, DType::kF32)});
    FAIL() << "a captured tensor was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("not an operand"), std::string::npos) << e.what();
  }
}

TEST(GraphFunction, TracedControlFlowUnderATapeIsRefused) {
  autodiff::Variable w("w", Tensor::full(Shape{2}, 1.0, DType::kF32));
  Function f = spool::function([&](std::span<const Tensor> in) -> std::vector<Tensor> {
    autodiff::GradientTape tape;
    const Tensor y = mul(in[0], w.value());
    return cond(greater(sum(y), 0.0), {y}, [](std::span<const Tensor> v) { return std::vector<Tensor>{v[0]}; },
                [](std::span<const Tensor> v) { return std::vector<Tensor>{neg(v[0])}; });
  });
  EXPECT_THROW(f({Tensor::full(Shape{2}, 1.0, DType::kF32)}), Unimplemented);
}

TEST(GraphFunction, AnAllocationOutsideAnyOpIsRefusedAtTheTrace) {
  Function f = spool::function([&](std::span<const Tensor> in) -> std::vector<Tensor> {
    return {add(in[0], Tensor::ones(in[0].shape(), DType::kF32))};  // a factory in the body
  });
  EXPECT_THROW(f({Tensor::full(Shape{3}, 1.0, DType::kF32)}), InvalidArgument);
  // Made inside a ConstantScope it is a constant of the plan.
  Function g = spool::function([&](std::span<const Tensor> in) -> std::vector<Tensor> {
    Tensor one;
    {
      const graph::ConstantScope constant;
      one = Tensor::ones(in[0].shape(), DType::kF32);
    }
    return {add(in[0], one)};
  });
  g({Tensor::full(Shape{3}, 1.0, DType::kF32)});
  EXPECT_EQ(g({Tensor::full(Shape{3}, 2.0, DType::kF32)})[0].to_vector<float>(), (std::vector<float>{3, 3, 3}));
}

TEST(GraphFunction, ACallUnderARecordingTapeIsRefused) {
  Tiny tiny;
  Function f = spool::function(std::ref(tiny));
  autodiff::GradientTape tape;
  EXPECT_THROW(f({ones(4, 3), ones(4, 2)}), InvalidArgument);
}

}  // namespace
}  // namespace spool
