// Trainer's metric list: "accuracy" becomes the accuracy that goes with the loss (and
// keeps the name it was written with), metric objects pass as they are, and names that
// would break metrics.jsonl or checkpoint entries are refused naming the metric.
#include "spool/distribute/metric_list.h"

#include <gtest/gtest.h>

#include <memory>

#include "spool/autodiff/metrics/metrics.h"

namespace spool::distribute {
namespace {

// The one metric `spec` resolves to, as M (null when it is another kind); shared, so it
// outlives the list it came in.
template <typename M>
std::shared_ptr<const M> resolved_as(const losses::Loss& loss, const MetricSpec& spec) {
  const std::vector<std::shared_ptr<metrics::Metric>> m = resolve_metrics({spec}, loss);
  EXPECT_EQ(m.size(), 1u);
  return m.empty() ? nullptr : std::dynamic_pointer_cast<const M>(m[0]);
}

TEST(MetricListTest, AccuracyFollowsTheLoss) {
  const auto logits = losses::LossOptions().from_logits(true);
  const auto sparse = resolved_as<metrics::SparseCategoricalAccuracy>(losses::SparseCategoricalCrossentropy(), "accuracy");
  ASSERT_NE(sparse, nullptr);
  EXPECT_EQ(sparse->name(), "accuracy");
  const auto categorical = resolved_as<metrics::CategoricalAccuracy>(losses::CategoricalCrossentropy(), "acc");
  ASSERT_NE(categorical, nullptr);
  EXPECT_EQ(categorical->name(), "acc");
  const auto binary = resolved_as<metrics::BinaryAccuracy>(losses::BinaryCrossentropy(logits), "accuracy");
  ASSERT_NE(binary, nullptr);
  EXPECT_TRUE(binary->from_logits());
  EXPECT_FALSE(resolved_as<metrics::BinaryAccuracy>(losses::BinaryCrossentropy(), "accuracy")->from_logits());
}

TEST(MetricListTest, ObjectsPassAsTheyAre) {
  const auto mine = std::make_shared<metrics::BinaryAccuracy>(0.7, false, "strict");
  const std::vector<std::shared_ptr<metrics::Metric>> m =
      resolve_metrics({"accuracy", mine}, losses::SparseCategoricalCrossentropy());
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1], mine);
}

std::string refusal(const std::vector<MetricSpec>& specs, const losses::Loss& loss) {
  try {
    resolve_metrics(specs, loss);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "accepted";
}

TEST(MetricListTest, RefusesWhatCannotBeLogged) {
  const losses::SparseCategoricalCrossentropy sparse;
  const auto named = [](const char* name) { return std::make_shared<metrics::Mean>(name); };
  EXPECT_EQ(refusal({"accuracy"}, losses::MeanSquaredError()),
            "Trainer: 'accuracy' follows a cross-entropy loss, not mean_squared_error; pass a metric object");
  EXPECT_EQ(refusal({"precision"}, sparse),
            "Trainer: unknown metric 'precision'; the shorthands are 'accuracy' and 'acc' (pass other metrics as "
            "objects)");
  EXPECT_EQ(refusal({"accuracy", "accuracy"}, sparse), "Trainer: two metrics are named 'accuracy'");
  EXPECT_EQ(refusal({named("loss")}, sparse), "Trainer: a metric may not be named 'loss', which the trainer logs itself");
  EXPECT_EQ(refusal({named("step")}, sparse), "Trainer: a metric may not be named 'step', which the trainer logs itself");
  EXPECT_EQ(refusal({named("val_auc")}, sparse), "Trainer: metric 'val_auc': 'val_' names the validation values");
  EXPECT_NE(refusal({named("a/b")}, sparse).find("a name holds no '/'"), std::string::npos);
  EXPECT_NE(refusal({named("a\"b")}, sparse).find("a name holds no"), std::string::npos);
  EXPECT_EQ(refusal({named("")}, sparse), "Trainer: a metric has an empty name");
  EXPECT_EQ(refusal({std::shared_ptr<metrics::Mean>()}, sparse), "Trainer: metric #0 is null");
}

}  // namespace
}  // namespace spool::distribute
