// Trainer in graph mode: fit ends with the eager run's weights bit for bit, in one
// replica and with Mirrored replicas (each replays a plan whose optimizer node sums the
// replicas' gradients), dropout and an epoch's partial last batch included.
#include <gtest/gtest.h>

#include "distribute/fit_test_support.h"
#include "spool/autodiff/optim/adam.h"
#include "spool/distribute/fit.h"
#include "spool/distribute/strategy.h"

namespace spool::distribute {
namespace {

using namespace fit_testing;

std::string fit_bytes(Strategy& strategy, bool graph) {
  const auto scope = strategy.scope();
  layers::Sequential model = blob_model(3, /*dropout=*/0.3);
  losses::SparseCategoricalCrossentropy loss(losses::LossOptions().from_logits(true));
  autodiff::Adam adam(autodiff::AdamOptions().learning_rate(0.01));
  Trainer trainer(model, loss, adam, {"accuracy"});
  trainer.set_graph(graph);
  const Blobs data = blobs(100, 5);  // three batches of 32 and one of 4 per epoch
  trainer.fit(batches(data, 32, 9), silent().epochs(3).seed(4));
  EXPECT_EQ(trainer.step(), 12);
  if (graph && strategy.num_replicas_in_sync() == 1) {
    EXPECT_NE(trainer.graph_plan().find("in0: f32[32, 8]"), std::string::npos) << trainer.graph_plan();
  }
  return variable_bytes(model);
}

TEST(GraphTrainer, OneReplicaEndsWithTheEagerWeightsBitwise) {
  OneDeviceStrategy a, b;
  const std::string eager = fit_bytes(a, false);
  EXPECT_EQ(fit_bytes(b, true), eager);
}

TEST(GraphTrainer, MirroredReplicasEndWithTheEagerWeightsBitwise) {
  MirroredStrategy a(2), b(2);
  const std::string eager = fit_bytes(a, false);
  EXPECT_EQ(fit_bytes(b, true), eager);
  MirroredStrategy c(3), d(3);  // 100 rows: parts of 11 and 10, and 2, 1, 1
  EXPECT_EQ(fit_bytes(d, true), fit_bytes(c, false));
}

// Freezing a layer between two fits makes a new plan: the frozen layer stops moving.
TEST(GraphTrainer, FreezingALayerMakesANewPlan) {
  OneDeviceStrategy one;
  const auto scope = one.scope();
  layers::Sequential model = blob_model(3, /*dropout=*/0.0);
  losses::SparseCategoricalCrossentropy loss(losses::LossOptions().from_logits(true));
  autodiff::Adam adam(autodiff::AdamOptions().learning_rate(0.01));
  Trainer trainer(model, loss, adam);
  trainer.set_graph(true);
  const Blobs data = blobs(64, 5);
  trainer.fit(batches(data, 32, 9), silent().epochs(1).seed(4));
  model.layers().front()->trainable(false);
  const std::vector<autodiff::Variable> frozen = model.layers().front()->variables();
  ASSERT_FALSE(frozen.empty());
  const std::vector<float> before = frozen[0].unwatched_value().to_vector<float>();
  trainer.fit(batches(data, 32, 9), silent().epochs(1).seed(4));
  EXPECT_EQ(frozen[0].unwatched_value().to_vector<float>(), before);
}

}  // namespace
}  // namespace spool::distribute
