// Metrics against Keras' documented examples, streaming over several updates, reset,
// weights, and the promise that updating records nothing on a tape.
#include <gtest/gtest.h>

#include <vector>

#include "spool/autodiff/metrics.h"
#include "spool/autodiff/ops.h"
#include "spool/autodiff/tape.h"

namespace spool::metrics {
namespace {

Tensor f32s(std::vector<float> v, Shape shape) { return Tensor::from_vector(v, std::move(shape)); }

TEST(Metrics, SparseCategoricalAccuracyMatchesKerasDocs) {
  SparseCategoricalAccuracy m;
  EXPECT_EQ(m.result(), 0.0);
  m.update(f32s({2, 1}, Shape{2, 1}), f32s({0.1f, 0.6f, 0.3f, 0.05f, 0.95f, 0}, Shape{2, 3}));
  EXPECT_DOUBLE_EQ(m.result(), 0.5);
  // Streaming: two more right answers with i64 labels -> 3 / 4.
  m.update(Tensor::from_vector<std::int64_t>({0, 2}), f32s({5, 1, 1, -1, 0, 3}, Shape{2, 3}));
  EXPECT_DOUBLE_EQ(m.result(), 0.75);
  m.reset();
  EXPECT_EQ(m.result(), 0.0);
  EXPECT_THROW(m.update(Tensor::from_vector<std::int64_t>({0, 2, 1}), f32s({5, 1, 1, -1, 0, 3}, Shape{2, 3})),
               InvalidArgument);
}

TEST(Metrics, CategoricalAccuracyMatchesKerasDocs) {
  CategoricalAccuracy m;
  m.update(f32s({0, 0, 1, 0, 1, 0}, Shape{2, 3}), f32s({0.1f, 0.9f, 0.8f, 0.05f, 0.95f, 0}, Shape{2, 3}));
  EXPECT_DOUBLE_EQ(m.result(), 0.5);
}

TEST(Metrics, BinaryAccuracyMatchesKerasDocsAndTakesLogits) {
  BinaryAccuracy m;
  m.update(f32s({1, 1, 0, 0}, Shape{4, 1}), f32s({0.98f, 1, 0, 0.6f}, Shape{4, 1}));
  EXPECT_DOUBLE_EQ(m.result(), 0.75);
  BinaryAccuracy logits(0.5, /*from_logits=*/true);
  logits.update(f32s({1, 1, 0, 0}, Shape{4}), f32s({0.1f, -0.1f, -3, 2}, Shape{4}));  // σ > 0.5 ⇔ x > 0
  EXPECT_DOUBLE_EQ(logits.result(), 0.5);
  BinaryAccuracy strict(0.9);
  strict.update(f32s({1, 1}, Shape{2}), f32s({0.95f, 0.85f}, Shape{2}));
  EXPECT_DOUBLE_EQ(strict.result(), 0.5);
}

TEST(Metrics, MeanIsWeighted) {
  Mean m("loss");
  m.update(f32s({1, 3, 5, 7}, Shape{4}));
  EXPECT_DOUBLE_EQ(m.result(), 4.0);
  m.update(10.0, 4.0);
  EXPECT_DOUBLE_EQ(m.result(), (16 + 40) / 8.0);
  m.reset();
  m.update(f32s({1, 3, 5, 7}, Shape{4}), f32s({1, 1, 0, 0}, Shape{4}));
  EXPECT_DOUBLE_EQ(m.result(), 2.0);
  EXPECT_EQ(m.name(), "loss");
}

TEST(Metrics, AccuraciesTakeSampleWeights) {
  SparseCategoricalAccuracy sparse;  // right, wrong, right with weights 1, 3, 0
  sparse.update(Tensor::from_vector<std::int64_t>({0, 0, 1}), f32s({2, 1, 0, 5, 0, 3}, Shape{3, 2}),
                f32s({1, 3, 0}, Shape{3}));
  EXPECT_DOUBLE_EQ(sparse.result(), 0.25);
  BinaryAccuracy binary;  // [N] weights for [N, 1] predictions, element for element
  binary.update(f32s({1, 0}, Shape{2, 1}), f32s({0.9f, 0.8f}, Shape{2, 1}), f32s({3, 1}, Shape{2}));
  EXPECT_DOUBLE_EQ(binary.result(), 0.75);
}

TEST(Metrics, StateRoundTripsAndContinuesAsIfNeverStopped) {
  SparseCategoricalAccuracy a("accuracy"), b("accuracy");
  a.update(Tensor::from_vector<std::int64_t>({1, 0, 1}), f32s({0, 1, 1, 0, 1, 0}, Shape{3, 2}));
  b.load_state(a.state());
  EXPECT_EQ(b.total(), a.total());
  EXPECT_EQ(b.count(), a.count());
  const Tensor more = f32s({4, 1}, Shape{1, 2});
  a.update(Tensor::from_vector<std::int64_t>({0}), more);
  b.update(Tensor::from_vector<std::int64_t>({0}), more);
  EXPECT_EQ(a.result(), b.result());
  EXPECT_DOUBLE_EQ(b.result(), 0.75);
}

TEST(Metrics, LoadStateRefusesMissingOrMistypedEntriesAndChangesNothing) {
  Mean m("loss");
  m.update(1.0, 2.0);
  const std::vector<NamedTensor> no_count = {{"total", Tensor::scalar(5.0)}};
  try {
    m.load_state(no_count);
    FAIL() << "a state without 'count' was loaded";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("metric 'loss': no state 'count'"), std::string::npos) << e.what();
  }
  const std::vector<NamedTensor> f32_count = {{"total", Tensor::scalar(5.0)}, {"count", Tensor::scalar(1.0f)}};
  try {
    m.load_state(f32_count);
    FAIL() << "an f32 count was loaded";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("metric 'loss': state 'count' must be an f64 scalar, got f32 []"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(m.total(), 2.0);
  EXPECT_EQ(m.count(), 2.0);
}

TEST(Metrics, MeanAsAMetricAveragesTheOutputs) {
  Mean mean("mean_output");
  Metric& metric = mean;
  metric.update(Tensor::from_vector<std::int64_t>({7, 7}), f32s({1, 2, 3, 6}, Shape{2, 2}), Tensor());
  EXPECT_DOUBLE_EQ(metric.result(), 3.0);
  EXPECT_EQ(metric.name(), "mean_output");
}

TEST(Metrics, UpdatingRecordsNothing) {
  const Tensor logits = f32s({1, 2, 3, 4}, Shape{2, 2});
  autodiff::GradientTape tape;
  tape.watch(logits);
  const Tensor h = relu(logits);
  const std::int64_t before = tape.recorded_ops();
  SparseCategoricalAccuracy acc;
  acc.update(Tensor::from_vector<std::int64_t>({1, 0}), h);
  Mean mean;
  mean.update(h);
  EXPECT_EQ(tape.recorded_ops(), before);
  EXPECT_DOUBLE_EQ(acc.result(), 0.5);
}

}  // namespace
}  // namespace spool::metrics
