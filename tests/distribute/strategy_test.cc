// Strategies in one process: Mirrored replicas on threads reach the weights one replica
// reaches with the same global batch (to float rounding), bitwise the same run after
// run; the collectives give the numbers TensorFlow's give; a replica's exception ends
// the step everywhere without a hang; distribute() and its tail policies split batches
// as documented. Multi-worker runs over MPI are tested by tests/mpi/.
#include "spool/distribute/strategy.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>

#include "distribute/fit_test_support.h"
#include "spool/autodiff/ops.h"
#include "spool/autodiff/tape.h"
#include "spool/autodiff/layers/model_zoo.h"
#include "spool/autodiff/optim/sgd.h"
#include "spool/data/image/color.h"
#include "spool/data/image/idx.h"
#include "spool/distribute/fit.h"
#include "spool/tensor/kernels/elementwise.h"

namespace spool::distribute {
namespace {

using namespace fit_testing;

std::vector<float> weights_of(const layers::Model& model) {
  const Tensor flat = model.arena().flat().contiguous();
  return std::vector<float>(flat.data<float>(), flat.data<float>() + flat.numel());
}

// Trains blob_model without dropout under `strategy` with a custom loop
// (strategy.run, the step written for one replica) and returns the weights.
std::vector<float> train_custom_loop(Strategy& strategy, int steps, std::int64_t global_batch) {
  const auto scope = strategy.scope();
  layers::Sequential model = blob_model(3, /*dropout=*/0.0);
  losses::SparseCategoricalCrossentropy loss_fn(losses::LossOptions().from_logits(true));
  autodiff::SGD sgd(autodiff::SGDOptions().learning_rate(0.1).momentum(0.9));
  const Blobs data = blobs(global_batch * steps, 5);
  const std::vector<autodiff::Variable> vars = model.trainable_variables();
  int done = 0;
  for (const DistributedBatch& batch : strategy.distribute(in_order(data, global_batch))) {
    const PerReplica losses = strategy.run(
        [&](const ReplicaContext& ctx, const data::Element& part) {
          autodiff::GradientTape tape;
          const Tensor per_example = loss_fn.per_example(part[1], model(part[0], {.training = true}));
          const Tensor loss = losses::compute_average_loss(per_example, ctx.global_batch_size());
          const std::vector<Tensor> grads = tape.gradient(loss, vars);
          sgd.apply_gradients(grads, vars);
          return loss;
        },
        batch);
    EXPECT_TRUE(std::isfinite(strategy.reduce(ReduceOp::kSum, losses).item_as_double()));
    ++done;
  }
  EXPECT_EQ(done, steps);
  return weights_of(model);
}

double max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double(a[i]) - double(b[i])));
  return worst;
}

TEST(MirroredStrategy, ReachesTheWeightsOfOneReplicaWithTheSameGlobalBatch) {
  OneDeviceStrategy one;
  MirroredStrategy two(2), three(3);
  const std::vector<float> w1 = train_custom_loop(one, 60, 48);
  const std::vector<float> w2 = train_custom_loop(two, 60, 48);
  const std::vector<float> w3 = train_custom_loop(three, 60, 48);
  // The sums differ only in the order of float additions: after 60 momentum steps the
  // weights (of magnitude ~1) agree to about 1e-5.
  EXPECT_LT(max_abs_difference(w1, w2), 1e-4);
  EXPECT_LT(max_abs_difference(w1, w3), 1e-4);
  // And they moved: a loop that trained nothing would also agree.
  layers::Sequential untrained = blob_model(3, 0.0);
  EXPECT_GT(max_abs_difference(w1, weights_of(untrained)), 0.1);
}

TEST(MirroredStrategy, IsBitwiseReproducible) {
  MirroredStrategy a(2), b(2);
  EXPECT_EQ(train_custom_loop(a, 30, 40), train_custom_loop(b, 30, 40));
  MirroredStrategy c(3);
  EXPECT_EQ(train_custom_loop(c, 20, 30), train_custom_loop(c, 20, 30));  // the same strategy again
}

TEST(MirroredStrategy, ApplyGradientsUpdatesOnceWithTheSumOfTheReplicas) {
  MirroredStrategy strategy(2);
  autodiff::VariableArena arena;
  autodiff::Variable w = arena.add("w", Tensor::from_vector<float>({1.0f, 1.0f}));
  autodiff::SGD sgd(autodiff::SGDOptions().learning_rate(1.0));
  DistributedBatch batch{.parts = {data::Element{Tensor::scalar<float>(1)}, data::Element{Tensor::scalar<float>(2)}},
                         .sample_weights = {Tensor(), Tensor()},
                         .global_examples = 2};
  const std::vector<autodiff::Variable> vars{w};
  strategy.run(
      [&](const ReplicaContext&, const data::Element& part) {
        // Replica r's gradient is (r + 1) * [1, 10]: the update must be their sum.
        const Tensor g = kernels::mul(Tensor::from_vector<float>({1.0f, 10.0f}), part[0].item<float>());
        sgd.apply_gradients(std::vector<Tensor>{g}, vars);
        return part[0];
      },
      batch);
  EXPECT_EQ(w.unwatched_value().to_vector<float>(), (std::vector<float>{1.0f - 3.0f, 1.0f - 30.0f}));
  EXPECT_EQ(sgd.iterations(), 1);
}

TEST(MirroredStrategy, AllReduceAndReduceCombineEveryReplica) {
  MirroredStrategy strategy(3);
  DistributedBatch batch = strategy.split(data::Element{Tensor::arange(0, 6, 1, DType::kF32).reshape({6, 1})});
  std::vector<std::vector<float>> seen(3);
  const PerReplica values = strategy.run(
      [&](const ReplicaContext& ctx, const data::Element& part) {
        EXPECT_EQ(ctx.num_replicas_in_sync(), 3);
        const Tensor mine = Tensor::full(Shape{2}, ctx.replica_id_in_sync_group() + 1.0, DType::kF32);
        seen[ctx.replica_id_in_sync_group()] = ctx.all_reduce(ReduceOp::kSum, {mine})[0].to_vector<float>();
        return part[0].reshape({2});
      },
      batch);
  for (const auto& s : seen) EXPECT_EQ(s, (std::vector<float>{6.0f, 6.0f}));
  // Rows 0..5 split 2 per replica: element-wise sum and mean, and along the batch axis.
  EXPECT_EQ(strategy.reduce(ReduceOp::kSum, values).to_vector<float>(), (std::vector<float>{6.0f, 9.0f}));
  EXPECT_EQ(strategy.reduce(ReduceOp::kMean, values).to_vector<float>(), (std::vector<float>{2.0f, 3.0f}));
  EXPECT_FLOAT_EQ(strategy.reduce(ReduceOp::kSum, values, 0).item<float>(), 15.0f);
  EXPECT_FLOAT_EQ(strategy.reduce(ReduceOp::kMean, values, 0).item<float>(), 2.5f);
}

TEST(MirroredStrategy, AnExceptionInOneReplicaEndsTheStepOnEveryReplica) {
  MirroredStrategy strategy(3);
  const DistributedBatch batch = strategy.split(data::Element{Tensor::zeros(Shape{3, 1}, DType::kF32)});
  std::atomic<int> finished{0};
  try {
    strategy.run(
        [&](const ReplicaContext& ctx, const data::Element& part) {
          if (ctx.replica_id_in_sync_group() == 1) SPOOL_THROW(InvalidArgument, "bad batch on purpose");
          // The others wait for replica 1 in a collective it never joins.
          ctx.all_reduce(ReduceOp::kSum, {part[0]});
          ++finished;
          return part[0];
        },
        batch);
    FAIL() << "run() returned";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("replica 1: bad batch on purpose"), std::string::npos) << e.what();
  }
  EXPECT_EQ(finished.load(), 0);
  // The strategy works again afterwards.
  const PerReplica ok = strategy.run([](const ReplicaContext& ctx, const data::Element&) {
    return ctx.all_reduce(ReduceOp::kSum, {Tensor::scalar<float>(1)})[0];
  }, batch);
  EXPECT_EQ(ok.values[2].item<float>(), 3.0f);
}

TEST(Distribute, SplitsGlobalBatchesAndHandlesTheTailByPolicy) {
  MirroredStrategy strategy(3);
  // 10 rows in batches of 4: 4, 4, 2.
  const data::Dataset ds = data::Dataset::from_tensor_slices({Tensor::arange(0, 10, 1, DType::kF32)}).batch(4);
  std::vector<std::vector<std::int64_t>> rows;
  std::vector<std::int64_t> examples;
  for (const DistributedBatch& b : strategy.distribute(ds)) {
    rows.push_back({});
    for (const auto& p : b.parts) rows.back().push_back(p[0].dim(0));
    examples.push_back(b.global_examples);
  }
  // Replica g of 3 takes rows [n·g/3, n·(g+1)/3): 4 → 1, 1, 2; 2 → 0, 1, 1.
  EXPECT_EQ(rows, (std::vector<std::vector<std::int64_t>>{{1, 1, 2}, {1, 1, 2}, {0, 1, 1}}));
  EXPECT_EQ(examples, (std::vector<std::int64_t>{4, 4, 2}));

  int steps = 0;
  for (const DistributedBatch& b : strategy.distribute(ds, DistributeOptions().tail(TailPolicy::kDrop))) {
    EXPECT_EQ(b.global_examples, 4);
    ++steps;
  }
  EXPECT_EQ(steps, 2);

  std::vector<DistributedBatch> padded;
  for (const DistributedBatch& b : strategy.distribute(ds, DistributeOptions().tail(TailPolicy::kPad))) padded.push_back(b);
  ASSERT_EQ(padded.size(), 3u);
  // Every part has ceil(4 / 3) = 2 rows; the padding rows are zero with weight 0.
  for (const auto& b : padded)
    for (const auto& p : b.parts) EXPECT_EQ(p[0].dim(0), 2);
  EXPECT_EQ(padded[2].parts[0][0].to_vector<float>(), (std::vector<float>{0, 0}));
  EXPECT_EQ(padded[2].sample_weights[0].to_vector<float>(), (std::vector<float>{0, 0}));
  EXPECT_EQ(padded[2].parts[1][0].to_vector<float>(), (std::vector<float>{8, 0}));
  EXPECT_EQ(padded[2].sample_weights[1].to_vector<float>(), (std::vector<float>{1, 0}));
  EXPECT_EQ(padded[2].global_examples, 2);
}

TEST(Distribute, InputContextSaysThePerReplicaBatch) {
  MirroredStrategy strategy(2);
  const InputContext ctx = strategy.input_context();
  EXPECT_EQ(ctx.num_input_pipelines, 1);
  EXPECT_EQ(ctx.input_pipeline_id, 0);
  EXPECT_EQ(ctx.num_replicas_in_sync, 2);
  EXPECT_EQ(ctx.per_replica_batch_size(64), 32);
  EXPECT_THROW(ctx.per_replica_batch_size(63), InvalidArgument);
}

TEST(Distribute, FitUnderMirroredReachesTheWeightsOfOneReplica) {
  const Blobs data = blobs(300, 1);
  auto train = [&](Strategy& strategy) {
    const auto scope = strategy.scope();
    layers::Sequential model = blob_model(7, 0.0);
    losses::SparseCategoricalCrossentropy loss(losses::LossOptions().from_logits(true));
    autodiff::Adam adam(autodiff::AdamOptions().learning_rate(0.01));
    Trainer trainer(model, loss, adam, {"accuracy"});
    EXPECT_EQ(&trainer.strategy(), &strategy);
    const History h = trainer.fit(batches(data, 32, 3), silent().epochs(3));  // the last batch of 300 is short
    EXPECT_GT(h.epochs.back().value("accuracy"), 0.9);
    return std::make_pair(weights_of(model), h.epochs.back().loss);
  };
  OneDeviceStrategy one;
  MirroredStrategy two(2);
  const auto [w1, loss1] = train(one);
  const auto [w2, loss2] = train(two);
  EXPECT_LT(max_abs_difference(w1, w2), 1e-4);
  EXPECT_NEAR(loss1, loss2, 1e-5);
  EXPECT_EQ(train(two).first, w2);  // bitwise again
}

TEST(MirroredStrategy, ScaledRegularizationCountsOnceInTheSummedGradient) {
  // Each replica adds the whole penalty 0.5·w² scaled by 1/replicas: summed over 3
  // replicas, the gradient is w itself, as one replica without scaling would get.
  MirroredStrategy strategy(3);
  autodiff::VariableArena arena;
  autodiff::Variable w = arena.add("w", Tensor::from_vector<float>({2.0f}));
  autodiff::SGD sgd(autodiff::SGDOptions().learning_rate(0.5));
  const std::vector<autodiff::Variable> vars{w};
  const DistributedBatch batch = strategy.split(data::Element{Tensor::zeros(Shape{3, 1}, DType::kF32)});
  strategy.run(
      [&](const ReplicaContext& ctx, const data::Element&) {
        autodiff::GradientTape tape;
        const Tensor penalty = sum(w.value() * w.value()) * 0.5;
        const Tensor loss = losses::scale_regularization_loss(penalty, ctx.num_replicas_in_sync());
        sgd.apply_gradients(tape.gradient(loss, vars), vars);
        return loss;
      },
      batch);
  EXPECT_FLOAT_EQ(w.unwatched_value().item<float>(), 2.0f - 0.5f * 2.0f);
  EXPECT_THROW(losses::scale_regularization_loss(Tensor::scalar<float>(1), 0), InvalidArgument);
}

// The Fashion-MNIST CNN of `spool train` (layers::zoo_model), 32 Adam steps of global
// batch 64: Mirrored(2) reaches one replica's weights to float rounding, and itself
// bitwise.
TEST(MirroredStrategy, TrainsTheFashionMnistCnnAsOneReplicaDoes) {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  if (!std::filesystem::exists(dir + "train-images-idx3-ubyte.gz")) GTEST_SKIP() << "no Fashion-MNIST in " << dir;
  const Tensor images = data::convert_dtype(data::read_idx(dir + "train-images-idx3-ubyte.gz").narrow(0, 0, 2048),
                                            DType::kF32)
                            .reshape({2048, 28, 28, 1});
  const Tensor labels = data::read_idx(dir + "train-labels-idx1-ubyte.gz").narrow(0, 0, 2048).cast(DType::kI64);
  const data::Dataset ds = data::Dataset::from_tensor_slices({images, labels}).batch(64);
  auto train = [&](Strategy& strategy) {
    const auto scope = strategy.scope();
    layers::Sequential model = layers::zoo_model("cnn", Shape{28, 28, 1}, 10, 42);
    losses::SparseCategoricalCrossentropy loss(losses::LossOptions().from_logits(true));
    autodiff::Adam adam(autodiff::AdamOptions().learning_rate(1e-3));
    Trainer trainer(model, loss, adam, {"accuracy"});
    trainer.fit(ds, silent().epochs(1));
    return weights_of(model);
  };
  OneDeviceStrategy one;
  MirroredStrategy two(2);
  const std::vector<float> w1 = train(one), w2 = train(two);
  // Adam's steps divide by sqrt(v), so rounding differences grow faster than under SGD;
  // the weights (|w| up to ~0.3) still agree to 1e-3 after 32 steps.
  EXPECT_LT(max_abs_difference(w1, w2), 1e-3);
  EXPECT_GT(max_abs_difference(w1, weights_of(layers::zoo_model("cnn", Shape{28, 28, 1}, 10, 42))), 1e-2);
  EXPECT_EQ(train(two), w2);
}

TEST(MirroredStrategy, RefusesNonsense) {
  EXPECT_THROW(MirroredStrategy(0), InvalidArgument);
  MirroredStrategy strategy(2);
  DistributedBatch one_part{.parts = {data::Element{}}, .sample_weights = {Tensor()}, .global_examples = 1};
  EXPECT_THROW(strategy.run([](const ReplicaContext&, const data::Element&) { return Tensor(); }, one_part),
               InvalidArgument);
}

}  // namespace
}  // namespace spool::distribute
