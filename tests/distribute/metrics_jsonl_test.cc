// metrics.jsonl: the lines MetricsJsonl writes read back with Boost.JSON (an
// independent parser) as the History says; the old format byte for byte for the
// "accuracy" metric; a custom metric's column; NaN written as null and read back as NaN;
// parse_epoch_logs_json refusing damaged lines; keep_epochs_up_to for resumed runs.
#include "spool/distribute/metrics_jsonl.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <fstream>
#include <limits>

#include "distribute/fit_test_support.h"
#include "test_support.h"

namespace spool::distribute {
namespace {

using namespace fit_testing;
using spool::testing::TempDir;

constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

std::vector<boost::json::object> parsed_lines(const std::string& path) {
  std::vector<boost::json::object> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) out.push_back(boost::json::parse(line).as_object());
  return out;
}

std::vector<std::string> keys_of(const boost::json::object& o) {
  std::vector<std::string> keys;
  for (const auto& kv : o) keys.emplace_back(kv.key());
  return keys;
}

// The number at `key`, NaN for null; a test failure for anything else.
double number_or_null(const boost::json::object& o, const std::string& key) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr) {
    ADD_FAILURE() << "no key " << key << " in " << boost::json::serialize(o);
    return kNoValue;
  }
  if (v->is_null()) return kNoValue;
  EXPECT_TRUE(v->is_number()) << key << " is " << boost::json::serialize(*v);
  return v->is_number() ? v->to_number<double>() : kNoValue;
}

// Boost.JSON reads doubles to within an ulp or so (parse_epoch_logs_json reads them
// exactly: EpochLogsJsonTest).
void expect_same_value(double logged, double actual, const std::string& key) {
  if (std::isnan(actual)) {
    EXPECT_TRUE(std::isnan(logged)) << key << " should be null, is " << logged;
  } else {
    EXPECT_NEAR(logged, actual, 1e-12 * std::max(1.0, std::abs(actual))) << key;
  }
}

// Every line has the columns of its epoch's logs, in order, with their values.
void expect_lines_are_the_history(const std::vector<boost::json::object>& lines, const History& h) {
  ASSERT_EQ(lines.size(), h.epochs.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const EpochLogs& e = h.epochs[i];
    SCOPED_TRACE(boost::json::serialize(lines[i]));
    std::vector<std::string> columns{"epoch"};
    for (const std::string& name : e.names()) columns.push_back(name);
    for (const char* name : {"examples_per_sec", "seconds", "step"}) columns.emplace_back(name);
    EXPECT_EQ(keys_of(lines[i]), columns);
    EXPECT_EQ(number_or_null(lines[i], "epoch"), e.epoch);
    for (const std::string& name : e.names()) expect_same_value(number_or_null(lines[i], name), e.value(name), name);
    expect_same_value(number_or_null(lines[i], "examples_per_sec"), e.examples_per_sec, "examples_per_sec");
    expect_same_value(number_or_null(lines[i], "seconds"), e.seconds, "seconds");
    EXPECT_EQ(number_or_null(lines[i], "step"), e.step);
  }
}

TEST(MetricsJsonlTest, WritesOneLinePerEpochWithTheLoggedValues) {
  TempDir dir;
  const std::string path = dir.file("metrics.jsonl");
  const Blobs train = blobs(300, 1), validation = blobs(100, 2);
  BlobRun run(7);
  const History h = run.trainer.fit(
      batches(train, 32, 3),
      silent().epochs(3).validation(in_order(validation, 50)).callback(std::make_shared<MetricsJsonl>(path)));
  const std::vector<boost::json::object> lines = parsed_lines(path);
  expect_lines_are_the_history(lines, h);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(keys_of(lines[0]), (std::vector<std::string>{"epoch", "loss", "accuracy", "val_loss", "val_accuracy",
                                                         "examples_per_sec", "seconds", "step"}));
  EXPECT_TRUE(lines[2].at("val_accuracy").is_number());
  EXPECT_GT(number_or_null(lines[2], "examples_per_sec"), 0);
}

// The largest output the model gave in an epoch: a metric that is not a mean, with a
// state of its own.
class MaxOutput : public metrics::Metric {
 public:
  MaxOutput() : Metric("max_output") {}
  void update(const Tensor&, const Tensor& y_pred, const Tensor&) override {
    for (const float v : y_pred.contiguous().to_vector<float>()) max_ = std::max(max_, double{v});
  }
  double result() const override { return max_; }
  void reset() override { max_ = -std::numeric_limits<double>::infinity(); }
  std::vector<NamedTensor> state() const override { return {{"max", Tensor::scalar(max_)}}; }
  void load_state(std::span<const NamedTensor> state) override { max_ = state[0].tensor.item<double>(); }

 private:
  double max_ = -std::numeric_limits<double>::infinity();
};

TEST(MetricsJsonlTest, ACustomMetricHasItsColumns) {
  TempDir dir;
  const std::string path = dir.file("metrics.jsonl");
  const Blobs train = blobs(300, 1), validation = blobs(100, 2);
  layers::Sequential model = blob_model(7);
  losses::SparseCategoricalCrossentropy loss(losses::LossOptions().from_logits(true));
  autodiff::Adam adam(autodiff::AdamOptions().learning_rate(0.01));
  Trainer trainer(model, loss, adam, {"accuracy", std::make_shared<MaxOutput>()});
  const History h = trainer.fit(
      batches(train, 32, 3),
      silent().epochs(2).validation(in_order(validation, 50)).callback(std::make_shared<MetricsJsonl>(path)));
  const std::vector<boost::json::object> lines = parsed_lines(path);
  expect_lines_are_the_history(lines, h);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(keys_of(lines[1]),
            (std::vector<std::string>{"epoch", "loss", "accuracy", "max_output", "val_loss", "val_accuracy",
                                      "val_max_output", "examples_per_sec", "seconds", "step"}));
  // The validation column is the largest logit the model gives the validation data now.
  const std::vector<float> logits = model(validation.x, {.training = false}).to_vector<float>();
  expect_same_value(number_or_null(lines[1], "val_max_output"),
                    double{*std::max_element(logits.begin(), logits.end())}, "val_max_output");
  EXPECT_GT(number_or_null(lines[1], "max_output"), 0);
}

TEST(MetricsJsonlTest, NullWithoutValidationAndAppendOnlyWhenAsked) {
  TempDir dir;
  const std::string path = dir.file("metrics.jsonl");
  spool::testing::write_file(path, "{\"epoch\":1}\n");
  const data::Dataset train = batches(blobs(300, 1), 32, 3);
  BlobRun run(7);
  const History first = run.trainer.fit(train, silent().epochs(2).callback(std::make_shared<MetricsJsonl>(path)));
  std::vector<boost::json::object> lines = parsed_lines(path);
  expect_lines_are_the_history(lines, first);  // the old line is gone
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0].at("val_loss").is_null());
  EXPECT_TRUE(lines[0].at("val_accuracy").is_null());

  const History more = run.trainer.fit(train, silent().epochs(1).callback(std::make_shared<MetricsJsonl>(path, true)));
  lines = parsed_lines(path);
  History both = first;
  both.epochs.push_back(more.epochs.at(0));
  expect_lines_are_the_history(lines, both);
}

TEST(MetricsJsonlTest, AnUnwritablePathIsAnIoErrorNamingIt) {
  TempDir dir;
  const std::string path = dir.file("no/such/folder/metrics.jsonl");
  BlobRun run(7);
  try {
    run.trainer.fit(batches(blobs(64, 1), 16, 3), silent().callback(std::make_shared<MetricsJsonl>(path)));
    FAIL() << "wrote to " << path;
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

EpochLogs sample_logs() {
  EpochLogs logs;
  logs.epoch = 3;
  logs.loss = 0.1;
  logs.metrics = {{"accuracy", 0.75}};
  logs.val_loss = kNoValue;
  logs.val_metrics = {{"val_accuracy", std::numeric_limits<double>::infinity()}};
  logs.examples_per_sec = 1234.5;
  logs.seconds = 2;
  logs.step = 30;
  return logs;
}

TEST(EpochLogsJsonTest, TheAccuracyLineIsTheOldFormatByteForByte) {
  EXPECT_EQ(epoch_logs_json(sample_logs()),
            "{\"epoch\":3,\"loss\":0.1,\"accuracy\":0.75,\"val_loss\":null,"
            "\"val_accuracy\":null,"
            "\"examples_per_sec\":1234.5,\"seconds\":2,\"step\":30}");
}

TEST(EpochLogsJsonTest, NaNIsNullAndNullReadsBackAsNaN) {
  const std::string line = epoch_logs_json(sample_logs());
  const std::optional<EpochLogs> back = parse_epoch_logs_json(line);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->epoch, 3);
  EXPECT_EQ(back->loss, 0.1);
  EXPECT_EQ(back->value("accuracy"), 0.75);
  EXPECT_TRUE(std::isnan(back->val_loss));
  EXPECT_TRUE(std::isnan(back->value("val_accuracy"))) << "infinity is written as null too";
  EXPECT_EQ(back->examples_per_sec, 1234.5);
  EXPECT_EQ(back->step, 30);
  EXPECT_EQ(epoch_logs_json(*back), line) << "a line reads back into itself";
  // Digits that need all 17 places survive the trip.
  EpochLogs precise = sample_logs();
  precise.loss = 0.1 + 0.2;
  EXPECT_EQ(parse_epoch_logs_json(epoch_logs_json(precise))->loss, 0.1 + 0.2);
}

TEST(EpochLogsJsonTest, ReadsOtherColumnsAndRefusesDamagedLines) {
  const std::optional<EpochLogs> more =
      parse_epoch_logs_json(R"( {"epoch": 2, "loss": 1e-3, "note": "x\"y", "auc": 0.5, "val_auc": null, "ok": true} )");
  ASSERT_TRUE(more.has_value());
  EXPECT_EQ(more->value("auc"), 0.5);
  EXPECT_TRUE(std::isnan(more->value("val_auc")));
  EXPECT_FALSE(more->has("note")) << "not a number, not a value";
  EXPECT_TRUE(std::isnan(more->seconds)) << "missing: NaN";
  EXPECT_EQ(more->step, 0);
  for (const char* bad : {R"({"epoch":3,"lo)", R"({"epoch":3,"loss":0.1)", R"({"loss":0.1})", R"({"epoch":1.5})",
                          R"({"epoch":null})", R"({"epoch":1,"loss":[1]})", R"({"epoch":1} x)", "", "null",
                          R"({"epoch":1,"loss":NaN})"}) {
    EXPECT_FALSE(parse_epoch_logs_json(bad).has_value()) << bad;
  }
}

TEST(KeepEpochsTest, KeepsTheEpochsUpToTheCheckpointVerbatim) {
  TempDir dir;
  const std::string path = dir.file("metrics.jsonl");
  // Spaces no writer of ours puts there show that the lines are kept as they were.
  const std::string one = R"({"epoch":1, "loss":0.5,"accuracy":0.25,"val_loss":null,"step":10})";
  const std::string two = R"({"epoch":2,"loss":0.25,"accuracy":0.5,"val_loss":0.75,"step":20})";
  spool::testing::write_file(path, one + "\n" + two + "\n{\"epoch\":3,\"loss\":0.1}\n{\"epoch\":4,\"lo");
  const std::vector<EpochLogs> kept = keep_epochs_up_to(path, 2);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[1].value("accuracy"), 0.5);
  EXPECT_TRUE(std::isnan(kept[0].val_loss));
  EXPECT_EQ(spool::testing::read_file(path), one + "\n" + two + "\n");
  EXPECT_TRUE(keep_epochs_up_to(dir.file("missing.jsonl"), 2).empty());
}

}  // namespace
}  // namespace spool::distribute
