// spool train: on small generated Fashion-MNIST-format IDX files (a bright bar whose
// row is the class) the MLP trains, prints "test accuracy: 0.XXXX" last and writes
// metrics.jsonl, checkpoint.tensors and curves.png; --resume after one epoch ends
// with the checkpoint an uninterrupted two-epoch run ends with; usage errors exit 2,
// missing data 1; a tiny horses-or-humans folder trains the CNN.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "spool/autodiff/checkpoint.h"
#include "spool/data/image/png.h"
#include "spool/distribute/thread_tuner.h"
#include "spool/tensor/tensor_file.h"
#include "test_support.h"
#include "tools/convert_test_support.h"
#include "tools/run_spool.h"

namespace spool::testing {
namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kTrainImages = 300, kTestImages = 100;

std::vector<boost::json::object> read_jsonl(const std::string& path) {
  std::vector<boost::json::object> out;
  for (const std::string& line : lines(read_file(path))) out.push_back(boost::json::parse(line).as_object());
  return out;
}

// The printed accuracy: the last stdout line, "test accuracy: 0.XXXX".
std::string printed_accuracy(const RunResult& r) {
  const std::vector<std::string> out = lines(r.out);
  if (out.empty()) return "";
  static const std::regex kLast(R"(test accuracy: (0\.\d{4}))");
  std::smatch m;
  return std::regex_match(out.back(), m, kLast) ? m[1].str() : "no match: '" + out.back() + "'";
}

std::string four_digits(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

// The checkpoint's entries by name.
std::map<std::string, Tensor> checkpoint_entries(const std::string& out_dir) {
  std::map<std::string, Tensor> entries;
  for (NamedTensor& t : load_tensors(out_dir + "/checkpoint.tensors")) entries.emplace(t.name, t.tensor);
  return entries;
}

// Entries whose names start with `prefix` are in both and hold the same bytes.
void expect_same_entries(const std::map<std::string, Tensor>& a, const std::map<std::string, Tensor>& b,
                         const std::string& prefix) {
  std::set<std::string> names_a, names_b;
  for (const auto& [name, t] : a) {
    if (name.rfind(prefix, 0) == 0) names_a.insert(name);
  }
  for (const auto& [name, t] : b) {
    if (name.rfind(prefix, 0) == 0) names_b.insert(name);
  }
  ASSERT_FALSE(names_a.empty()) << "no " << prefix << " entries";
  ASSERT_EQ(names_a, names_b);
  for (const std::string& name : names_a) {
    const auto x = a.at(name).bytes(), y = b.at(name).bytes();
    EXPECT_TRUE(a.at(name).shape() == b.at(name).shape() && std::equal(x.begin(), x.end(), y.begin(), y.end()))
        << name << " differs";
  }
}

std::uint32_t big_endian32(const std::string& bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(bytes[at + i]);
  return v;
}

// One data folder and one uninterrupted two-epoch run ("A") for the whole suite: the
// resume test compares with it.
class TrainCommandTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    fs::create_directory(dir_->path() / "fashion");
    write_fashion_files(data_dir(), kTrainImages, kTestImages);
    full_run_ = std::make_unique<RunResult>(train({"--epochs", "2", "--out", out_dir("A")}));
  }
  static void TearDownTestSuite() {
    full_run_.reset();
    dir_.reset();
  }

  static std::string data_dir() { return dir_->file("fashion"); }
  static std::string out_dir(const std::string& name) { return dir_->file(name); }
  // spool train on the generated files with the MLP, fixed seed and thread count.
  static RunResult train(const std::vector<std::string>& more) {
    std::vector<std::string> args = {"train", "--data", data_dir(), "--model", "mlp", "--seed", "3", "--threads", "2"};
    args.insert(args.end(), more.begin(), more.end());
    return run_spool(args);
  }

  static inline std::unique_ptr<TempDir> dir_;
  static inline std::unique_ptr<RunResult> full_run_;
};

TEST_F(TrainCommandTest, ThreadsAutoMeasuresEachCountAndSaysWhichItKept) {
  // 75 steps of 4 examples: 5 warm-up steps, then a window per count.
  const RunResult r = run_spool({"train", "--data", data_dir(), "--model", "mlp", "--seed", "3", "--threads", "auto",
                                 "--epochs", "1", "--batch-size", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const std::size_t at = r.out.find("kernel threads: auto kept ");
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string line = r.out.substr(at, r.out.find('\n', at) - at);
  // Every candidate for this machine's cores was measured.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (const int n : distribute::KernelThreadTuner::candidates_for(cores)) {
    EXPECT_NE(line.find(std::to_string(n) + ": "), std::string::npos) << line;
  }
  EXPECT_NE(line.find(" steps/s"), std::string::npos) << line;
  EXPECT_NE(r.out.find("test accuracy: "), std::string::npos) << r.out;
}

TEST_F(TrainCommandTest, TrainsTheMlpAndEndsWithTheTestAccuracy) {
  const RunResult& r = *full_run_;
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("spool train: fashion-mnist (300 train, 100 test) · model mlp · 2 epochs"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Epoch 1/2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Epoch 2/2\n"), std::string::npos) << r.out;
  const std::string accuracy = printed_accuracy(r);
  ASSERT_EQ(accuracy.rfind("0.", 0), 0u) << accuracy;
  // The bars are easy: well above chance (0.1), and at most 0.9 with the wrong labels.
  EXPECT_GT(std::stod(accuracy), 0.5);
  EXPECT_LE(std::stod(accuracy), 0.9);

  // metrics.jsonl: one line per epoch; the printed accuracy is the last validation pass.
  const std::vector<boost::json::object> metrics = read_jsonl(out_dir("A") + "/metrics.jsonl");
  ASSERT_EQ(metrics.size(), 2u);
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    for (const char* key : {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "examples_per_sec"}) {
      ASSERT_TRUE(metrics[i].contains(key) && metrics[i].at(key).is_number())
          << key << " in " << boost::json::serialize(metrics[i]);
    }
    EXPECT_EQ(metrics[i].at("epoch").to_number<int>(), static_cast<int>(i) + 1);
    EXPECT_GT(metrics[i].at("examples_per_sec").to_number<double>(), 0);
  }
  EXPECT_LT(metrics[1].at("loss").to_number<double>(), metrics[0].at("loss").to_number<double>());
  EXPECT_EQ(four_digits(metrics[1].at("val_accuracy").to_number<double>()), accuracy);

  EXPECT_TRUE(fs::is_regular_file(out_dir("A") + "/checkpoint.tensors"));
}

// Graph mode is the default: --no-graph runs every step eagerly and ends with the same
// checkpoint, bit for bit. --dump-graph writes the traced step's plan, text or dot.
TEST_F(TrainCommandTest, EagerStepsEndWithTheGraphRunsCheckpointAndThePlanIsDumped) {
  const std::string plan = out_dir("plan.txt"), dot = out_dir("plan.dot");
  const RunResult eager = train({"--epochs", "2", "--no-graph", "--out", out_dir("E")});
  ASSERT_EQ(eager.exit_code, 0) << eager.err << eager.out;
  EXPECT_EQ(printed_accuracy(eager), printed_accuracy(*full_run_));
  expect_same_entries(checkpoint_entries(out_dir("A")), checkpoint_entries(out_dir("E")), "");
  const RunResult dumped = train({"--epochs", "1", "--dump-graph", plan});
  ASSERT_EQ(dumped.exit_code, 0) << dumped.err << dumped.out;
  std::ifstream in(plan);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str().rfind("function train_step: ", 0), 0u) << text.str();
  for (const char* op : {"in0: f32[32, 28, 28, 1]", "dense -> f32[32, 128]", "grad(dense)", "apply_gradients(adam)"})
    EXPECT_NE(text.str().find(op), std::string::npos) << op << " in\n" << text.str();
  ASSERT_EQ(train({"--epochs", "1", "--dump-graph", dot}).exit_code, 0);
  std::ifstream dot_in(dot);
  std::string first;
  std::getline(dot_in, first);
  EXPECT_EQ(first, "digraph \"train_step\" {");
}

// --replicas 2 (MirroredStrategy) splits each global batch of the same run: it says so,
// and ends with the one-replica run's weights to float rounding and its accuracy.
TEST_F(TrainCommandTest, ReplicasTrainTheModelOneReplicaTrains) {
  const RunResult r = train({"--epochs", "2", "--replicas", "2", "--out", out_dir("R")});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("strategy MirroredStrategy: 2 replicas in sync (1 worker × 2) · global batch 32"),
            std::string::npos)
      << r.out;
  const double one = std::stod(printed_accuracy(*full_run_)), two = std::stod(printed_accuracy(r));
  EXPECT_NEAR(two, one, 0.02);  // 100 test images: a flipped prediction is 0.01
  const std::map<std::string, Tensor> a = checkpoint_entries(out_dir("A")), b = checkpoint_entries(out_dir("R"));
  ASSERT_EQ(a.size(), b.size());
  double worst = 0;
  for (const auto& [name, t] : a) {
    // The weights (f32); Adam's moments and the training state are checked elsewhere.
    if (name.rfind("optimizer/", 0) == 0 || t.dtype() != DType::kF32 || !b.count(name)) continue;
    const Tensor x = t.cast(DType::kF64).contiguous(), y = b.at(name).cast(DType::kF64).contiguous();
    for (std::int64_t i = 0; i < x.numel(); ++i) worst = std::max(worst, std::abs(x.data<double>()[i] - y.data<double>()[i]));
  }
  EXPECT_LT(worst, 1e-3);
  EXPECT_GT(worst, 0.0);  // the sums ran in another order: not the one-replica run again
}

// --strategy parameter-server: two worker threads train the model asynchronously to
// about the synchronous run's accuracy; metrics.jsonl counts every update by its
// staleness, curves.png gains the histogram panel, and the checkpoint is an ordinary
// one that the synchronous command resumes.
TEST_F(TrainCommandTest, ParameterServersTrainAsynchronouslyAndCountStaleness) {
  ASSERT_EQ(full_run_->exit_code, 0) << full_run_->err;
  const std::string out = out_dir("PS");
  const RunResult r = train({"--epochs", "2", "--strategy", "parameter-server", "--workers", "2", "--max-staleness",
                             "1", "--slow-worker", "1:2", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("strategy ParameterServerStrategy: 2 workers (threads), 1 server in memory, bounded staleness 1"),
            std::string::npos)
      << r.out;
  EXPECT_NEAR(std::stod(printed_accuracy(r)), std::stod(printed_accuracy(*full_run_)), 0.1);
  const std::vector<boost::json::object> metrics = read_jsonl(out + "/metrics.jsonl");
  ASSERT_EQ(metrics.size(), 2u);
  for (const boost::json::object& m : metrics) {
    // 300 examples in batches of 32: 10 updates an epoch, none staler than the bound.
    const double fresh = m.at("staleness_0").to_number<double>();
    const double one = m.contains("staleness_1") ? m.at("staleness_1").to_number<double>() : 0;
    EXPECT_EQ(fresh + one, 10) << boost::json::serialize(m);
    EXPECT_FALSE(m.contains("staleness_2")) << boost::json::serialize(m);
    EXPECT_LE(m.at("staleness_max").to_number<double>(), 1);
  }
  EXPECT_EQ(metrics[1].at("step").to_number<int>(), 20);
  const Tensor curves = data::decode_png(read_file(out + "/curves.png"), "curves.png");
  const Tensor sync_curves = data::decode_png(read_file(out_dir("A") + "/curves.png"), "curves.png");
  EXPECT_GT(curves.dim(1), sync_curves.dim(1)) << "a third panel: the staleness histogram";

  // Resumed by the synchronous command: the servers' weights and Adam state carry on.
  const RunResult resumed = train({"--epochs", "3", "--out", out, "--resume"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err << resumed.out;
  EXPECT_NE(resumed.out.find("resuming after epoch 2 (step 20)"), std::string::npos) << resumed.out;
  EXPECT_EQ(read_jsonl(out + "/metrics.jsonl").size(), 3u);
}

TEST_F(TrainCommandTest, CurvesPngIsAValidPng) {
  ASSERT_EQ(full_run_->exit_code, 0) << full_run_->err;
  const std::string png = read_file(out_dir("A") + "/curves.png");
  ASSERT_GT(png.size(), 33u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  const std::uint32_t width = big_endian32(png, 16), height = big_endian32(png, 20);
  const Tensor image = data::decode_png(png, "curves.png");
  ASSERT_EQ(image.rank(), 3);
  EXPECT_EQ(image.dim(0), height);
  EXPECT_EQ(image.dim(1), width);
  EXPECT_GT(width, height) << "two panels side by side: loss and accuracy";
  // Not a blank canvas: axes, text and two curves in several colours.
  const Tensor rgb = image.contiguous();
  std::set<std::uint32_t> colours;
  const std::uint8_t* p = rgb.data<std::uint8_t>();
  for (std::int64_t i = 0; i + 2 < rgb.numel() && colours.size() < 4; i += image.dim(2)) {
    colours.insert(static_cast<std::uint32_t>(p[i] << 16 | p[i + 1] << 8 | p[i + 2]));
  }
  EXPECT_GE(colours.size(), 4u);
}

TEST_F(TrainCommandTest, ResumeAfterOneEpochEndsWithTheUninterruptedCheckpoint) {
  ASSERT_EQ(full_run_->exit_code, 0) << full_run_->err;
  const std::string out = out_dir("B");
  const RunResult first = train({"--epochs", "1", "--out", out});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string first_metrics = read_file(out + "/metrics.jsonl");
  ASSERT_EQ(lines(first_metrics).size(), 1u);
  // As if the next run had died after logging epoch 2 but before its checkpoint, in
  // the middle of a line: both lines must go.
  write_file(out + "/metrics.jsonl", first_metrics + "{\"epoch\":2,\"loss\":123}\n{\"epoch\":3,\"lo");
  const RunResult resumed = train({"--epochs", "2", "--out", out, "--resume"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err << resumed.out;
  EXPECT_NE(resumed.out.find("resuming after epoch 1 (step 10)\n"), std::string::npos) << resumed.out;
  EXPECT_EQ(resumed.out.find("Epoch 1/2"), std::string::npos) << "epoch 1 was trained again:\n" << resumed.out;
  EXPECT_NE(resumed.out.find("Epoch 2/2"), std::string::npos) << resumed.out;

  const auto a = checkpoint_entries(out_dir("A")), b = checkpoint_entries(out);
  expect_same_entries(a, b, "variables/");
  expect_same_entries(a, b, "optimizer/");
  EXPECT_EQ(a.at("step").item_as_double(), b.at("step").item_as_double());
  EXPECT_EQ(printed_accuracy(resumed), printed_accuracy(*full_run_));
  // The curves draw epoch 1 from the kept metrics and epoch 2 from the resumed run:
  // the very picture of the uninterrupted run.
  EXPECT_TRUE(read_file(out + "/curves.png") == read_file(out_dir("A") + "/curves.png")) << "curves.png differs";

  // The resumed metrics.jsonl goes on where the first run's stopped; epoch 2 is A's.
  const std::vector<boost::json::object> metrics = read_jsonl(out + "/metrics.jsonl");
  const std::vector<boost::json::object> full = read_jsonl(out_dir("A") + "/metrics.jsonl");
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_EQ(lines(read_file(out + "/metrics.jsonl"))[0] + "\n", first_metrics) << "the kept line changed";
  EXPECT_EQ(metrics[0].at("epoch").to_number<int>(), 1);
  EXPECT_EQ(metrics[1].at("epoch").to_number<int>(), 2);
  for (const char* key : {"loss", "accuracy", "val_loss", "val_accuracy"}) {
    EXPECT_EQ(boost::json::serialize(metrics[1].at(key)), boost::json::serialize(full[1].at(key))) << key;
    EXPECT_EQ(boost::json::serialize(metrics[0].at(key)), boost::json::serialize(full[0].at(key))) << key;
  }
}

// The files of --out after a kill: each one under its final name is whole (the
// checkpoint loads, curves.png decodes, every metrics line parses); temporaries may
// remain. Returns what the kill left, for the tally.
std::string expect_whole_after_kill(const std::string& out) {
  for (const std::string& name : files_in(out)) {
    const std::string path = out + "/" + name;
    if (name.find(".tmp-") != std::string::npos) continue;
    if (name == "checkpoint.tensors") {
      EXPECT_NO_THROW(load_tensors(path)) << path;
    } else if (name == "curves.png") {
      EXPECT_NO_THROW(data::decode_png(read_file(path), path)) << path;
    } else if (name == "metrics.jsonl") {
      for (const std::string& line : lines(read_file(path))) EXPECT_NO_THROW(boost::json::parse(line)) << line;
    } else {
      ADD_FAILURE() << "unexpected file " << path;
    }
  }
  if (!fs::exists(out + "/checkpoint.tensors")) return "before the first checkpoint";
  return "after epoch " + std::to_string(static_cast<int>(autodiff::restore_checkpoint(out, {}, nullptr).epoch));
}

// kill -9 at moments spread over a whole run, then --resume (or, when the kill came
// before the first checkpoint, the run again): nothing under a final name is ever
// partial, nothing of the killed run stays behind, and the finished run ends with the
// uninterrupted run's weights and optimizer state, bit for bit. SPOOL_KILL_RUNS sets
// the number of kills.
TEST(TrainKillTest, KilledAtAnyMomentResumesIntoTheUninterruptedWeights) {
  // Ten times the suite's data and 6 epochs, so that the kills fall in every phase.
  TempDir dir;
  write_fashion_files(dir.file(""), 3000, 100);
  const auto args_for = [&](const std::string& out) {
    return std::vector<std::string>{"train", "--data", dir.file(""), "--model", "mlp", "--seed", "3", "--threads", "2",
                                    "--epochs", "6", "--out", out};
  };
  const auto started = std::chrono::steady_clock::now();
  const RunResult whole = run_spool(args_for(dir.file("whole")));
  const auto whole_run = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  const auto a = checkpoint_entries(dir.file("whole"));
  const std::string last_val_accuracy =
      boost::json::serialize(read_jsonl(dir.file("whole/metrics.jsonl")).back().at("val_accuracy"));

  const int runs = std::getenv("SPOOL_KILL_RUNS") ? std::atoi(std::getenv("SPOOL_KILL_RUNS")) : 6;
  std::mt19937 rng(11);
  std::map<std::string, int> tally;
  for (int k = 0; k < runs; ++k) {
    const std::string out = dir.file("killed" + std::to_string(k));
    std::vector<std::string> args = args_for(out);
    const auto after = std::chrono::duration_cast<std::chrono::microseconds>(
        whole_run * std::uniform_real_distribution<double>(0.02, 0.9)(rng));
    const RunResult killed = run_spool_killed_after(args, after);
    const std::string left = killed.exit_code == 137 ? expect_whole_after_kill(out) : "finished";
    ++tally[left];
    if (left != "before the first checkpoint") args.push_back("--resume");
    const RunResult finished = run_spool(args);
    ASSERT_EQ(finished.exit_code, 0) << "after a kill " << left << ": " << finished.err;
    EXPECT_EQ(printed_accuracy(finished), printed_accuracy(whole));
    const auto b = checkpoint_entries(out);
    expect_same_entries(a, b, "variables/");
    expect_same_entries(a, b, "optimizer/");
    EXPECT_EQ(files_in(out), (std::vector<std::string>{"checkpoint.tensors", "curves.png", "metrics.jsonl"}))
        << "a killed run's file stayed behind";
    const std::vector<boost::json::object> metrics = read_jsonl(out + "/metrics.jsonl");
    ASSERT_EQ(metrics.size(), 6u);
    EXPECT_EQ(boost::json::serialize(metrics.back().at("val_accuracy")), last_val_accuracy);
  }
  std::string summary;
  for (const auto& [left, count] : tally) summary += " " + std::to_string(count) + " " + left + ";";
  std::cout << runs << " kills over a " << std::chrono::duration<double>(whole_run).count() << " s run:" << summary << "\n";
}

// The cosine schedule reaches the optimizer (the weights are not the constant run's), and
// a run cut after epoch 1 of 2 (--decay-epochs 2 keeps the horizon) resumes into the
// uninterrupted run's checkpoint.
TEST_F(TrainCommandTest, CosineScheduleTakesEffectAndResumesExactly) {
  ASSERT_EQ(full_run_->exit_code, 0) << full_run_->err;
  const RunResult whole = train({"--lr-schedule", "cosine", "--epochs", "2", "--out", out_dir("cos-whole")});
  ASSERT_EQ(whole.exit_code, 0) << whole.err << whole.out;
  EXPECT_NE(whole.out.find("· Adam lr 0.001, cosine decay to 0 over 2 epochs (20 steps) ·"), std::string::npos)
      << whole.out;
  const auto constant = checkpoint_entries(out_dir("A")), cosine = checkpoint_entries(out_dir("cos-whole"));
  int variables = 0, differing = 0;
  for (const auto& [name, t] : constant) {
    if (name.rfind("variables/", 0) != 0) continue;
    ++variables;
    const auto a = t.bytes(), b = cosine.at(name).bytes();
    differing += std::equal(a.begin(), a.end(), b.begin(), b.end()) ? 0 : 1;
  }
  EXPECT_EQ(variables, 4) << "the MLP's two kernels and two biases";
  EXPECT_EQ(differing, variables) << "the cosine run trained the constant run's weights";

  const std::string out = out_dir("cos-cut");
  const RunResult first = train({"--lr-schedule", "cosine", "--epochs", "1", "--decay-epochs", "2", "--out", out});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const RunResult resumed = train({"--lr-schedule", "cosine", "--epochs", "2", "--out", out, "--resume"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err << resumed.out;
  const auto cut = checkpoint_entries(out);
  expect_same_entries(cosine, cut, "variables/");
  expect_same_entries(cosine, cut, "optimizer/");
  EXPECT_EQ(printed_accuracy(resumed), printed_accuracy(whole));
}

TEST_F(TrainCommandTest, ResumeRefusesAnotherLearningRate) {
  ASSERT_EQ(full_run_->exit_code, 0) << full_run_->err;
  const std::string out = out_dir("other-lr");
  fs::create_directory(out);
  fs::copy_file(out_dir("A") + "/checkpoint.tensors", out + "/checkpoint.tensors");
  const RunResult r = train({"--lr-schedule", "cosine", "--epochs", "3", "--out", out, "--resume"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("was trained with Adam lr 0.001, not lr 0.001, cosine decay to 0 over 3 epochs (30 steps)"),
            std::string::npos)
      << r.err;
}

TEST_F(TrainCommandTest, ResumingAFinishedRunOnlyEvaluates) {
  ASSERT_EQ(full_run_->exit_code, 0) << full_run_->err;
  const std::string out = out_dir("D");
  fs::create_directory(out);
  for (const char* name : {"checkpoint.tensors", "metrics.jsonl", "curves.png"}) {
    fs::copy_file(out_dir("A") + "/" + name, out + "/" + name);
  }
  const RunResult r = train({"--epochs", "2", "--out", out, "--resume"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("resuming after epoch 2 (step 20)\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Epoch "), std::string::npos) << r.out;
  EXPECT_EQ(printed_accuracy(r), printed_accuracy(*full_run_));
  EXPECT_EQ(read_file(out + "/metrics.jsonl"), read_file(out_dir("A") + "/metrics.jsonl"));
  EXPECT_TRUE(read_file(out + "/checkpoint.tensors") == read_file(out_dir("A") + "/checkpoint.tensors"));
}

TEST_F(TrainCommandTest, ResumeRefusesAnotherModelsCheckpoint) {
  ASSERT_EQ(full_run_->exit_code, 0) << full_run_->err;
  const std::string out = out_dir("C");
  fs::create_directory(out);
  fs::copy_file(out_dir("A") + "/checkpoint.tensors", out + "/checkpoint.tensors");
  const RunResult r = run_spool(
      {"train", "--data", data_dir(), "--model", "cnn", "--epochs", "3", "--out", out, "--resume", "--threads", "2"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is of mlp/fashion-mnist, not cnn/fashion-mnist"), std::string::npos) << r.err;
}

TEST_F(TrainCommandTest, ResumeWithoutACheckpointIsADataError) {
  const std::string out = out_dir("empty-out");
  const RunResult r = train({"--epochs", "2", "--out", out, "--resume"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("--resume: no checkpoint in '" + out + "'"), std::string::npos) << r.err;
}

TEST(TrainCommandUsageTest, BadFlagsExit2WithAMessage) {
  // Flags are checked before any data is read, so no --data is needed here.
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--model", "resnet"}, "--model must be cnn or mlp, not 'resnet'"},
      {{"--epochs", "0"}, "--epochs must be in 1..100000"},
      {{"--resume"}, "--resume needs --out DIR"},
      {{"--dataset", "horses-or-humans"}, "--dataset horses-or-humans needs --data DIR"},
      {{"--dataset", "cifar"}, "--dataset must be fashion-mnist or horses-or-humans, not 'cifar'"},
      {{"--batch-size", "0"}, "--batch-size must be in 1..65536"},
      {{"--lr", "-1"}, "--lr must be in (0, 10)"},
      {{"--lr-schedule", "step"}, "--lr-schedule must be constant or cosine, not 'step'"},
      {{"--model", "mlp", "--decay-epochs", "3"}, "--decay-epochs needs --lr-schedule cosine"},
      {{"--decay-epochs", "0"}, "--decay-epochs must be in 1..100000"},
      {{"--learning-rate", "0.1"}, "learning-rate"},
      {{"5"}, "unexpected operand '5' (see --help)"},
      {{"--image-size", "32"}, "--image-size, --interpolation and --color-mode are for --dataset horses-or-humans"},
      {{"--color-mode", "rgb"}, "--image-size, --interpolation and --color-mode are for --dataset horses-or-humans"},
      {{"--dataset", "horses-or-humans", "--data", "x", "--color-mode", "rgba"},
       "--color-mode must be rgb or grayscale, not 'rgba'"},
      {{"--dataset", "horses-or-humans", "--data", "x", "--image-size", "4"}, "--image-size must be in 8..4096"},
      {{"--dataset", "horses-or-humans", "--data", "x", "--interpolation", "lanczos3"},
       "--interpolation must be bilinear, area, bicubic or nearest, not 'lanczos3'"},
      {{"--strategy", "ring"}, "--strategy must be mirrored or parameter-server, not 'ring'"},
      {{"--ps", "2"}, "--ps needs --strategy parameter-server"},
      {{"--max-staleness", "2"}, "--max-staleness needs --strategy parameter-server"},
      {{"--strategy", "parameter-server", "--replicas", "2"}, "--replicas is for --strategy mirrored"},
      {{"--strategy", "parameter-server", "--max-staleness", "-1"}, "--max-staleness must be in 0..1000000"},
      {{"--strategy", "parameter-server", "--slow-worker", "1"}, "--slow-worker must be W:F"},
      {{"--strategy", "parameter-server", "--slow-worker", "2:2"}, "there are only 2 workers"},
      {{"--slow-worker", "0:0.5"}, "--slow-worker W:F needs W >= 0 and F in 1..1000"},
      {{"--graph", "--no-graph"}, "--graph and --no-graph: choose one"},
      {{"--threads", "many"}, "--threads must be a count or auto, not 'many'"},
      {{"--threads", "2x"}, "--threads must be a count or auto"},
      {{"--threads", "auto", "--replicas", "2"}, "--threads auto tunes one replica's kernel pool"},
      {{"--no-graph", "--dump-graph", "x"}, "--dump-graph needs graph mode"},
  };
  for (const auto& [flags, message] : cases) {
    std::vector<std::string> args = {"train"};
    args.insert(args.end(), flags.begin(), flags.end());
    const RunResult r = run_spool(args);
    EXPECT_EQ(r.exit_code, 2) << flags[0] << ": " << r.err;
    EXPECT_EQ(r.err.rfind("spool train: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(TrainCommandUsageTest, HelpListsTheFlags) {
  const RunResult r = run_spool({"train", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--dataset", "--data", "--model", "--epochs", "--batch-size", "--lr", "--lr-schedule",
                           "--decay-epochs", "--seed", "--threads", "--out", "--resume", "--image-size",
                           "--interpolation", "--color-mode", "--strategy", "--ps", "--workers", "--max-staleness",
                           "--staleness-aware", "--slow-worker", "--graph", "--no-graph", "--dump-graph"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  }
}

TEST(TrainCommandDataTest, MissingIdxFilesExit1NamingTheFolder) {
  TempDir dir;
  const RunResult r = run_spool({"train", "--data", dir.path().string(), "--model", "mlp"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  // Which training file it names first is up to the tool; it names the folder.
  EXPECT_NE(r.err.find("[.gz] in '" + dir.path().string() + "'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no train-"), std::string::npos) << r.err;
  // The test files are looked for too.
  write_fashion_files(dir.path().string(), kTrainImages, kTestImages);
  fs::remove(dir.file("t10k-labels-idx1-ubyte"));
  const RunResult no_test = run_spool({"train", "--data", dir.path().string(), "--model", "mlp"});
  EXPECT_EQ(no_test.exit_code, 1) << no_test.err;
  EXPECT_NE(no_test.err.find("no t10k-labels-idx1-ubyte[.gz] in '" + dir.path().string() + "'"), std::string::npos)
      << no_test.err;
}

TEST(TrainCommandDataTest, IdxFilesThatDisagreeExit1) {
  TempDir dir;
  write_fashion_files(dir.path().string(), kTrainImages, kTestImages);
  write_idx(dir.file("train-labels-idx1-ubyte.gz"), {kTrainImages - 1}, std::string(kTrainImages - 1, '\1'), true);
  const RunResult r = run_spool({"train", "--data", dir.path().string(), "--model", "mlp"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("has 300 images but '" + dir.file("train-labels-idx1-ubyte.gz") + "' has 299 labels"),
            std::string::npos)
      << r.err;
}

// DIR/train and DIR/validation with horses/ and humans/, `per_class` small PNGs each:
// horses reddish, humans bluish, with a little per-file variation.
void write_image_folder(const std::string& dir, int per_class) {
  for (const char* split : {"train", "validation"}) {
    for (int cls = 0; cls < 2; ++cls) {
      const fs::path folder = fs::path(dir) / split / (cls == 0 ? "horses" : "humans");
      fs::create_directories(folder);
      for (int k = 0; k < per_class; ++k) {
        Tensor image = Tensor::empty(Shape{20, 24, 3}, DType::kU8);
        for (std::int64_t y = 0; y < 20; ++y) {
          for (std::int64_t x = 0; x < 24; ++x) {
            const auto shade = static_cast<std::uint8_t>(40 + (x * 5 + y * 3 + k * 11) % 60);
            image.at<std::uint8_t>({y, x, 0}) = cls == 0 ? 200 : shade;
            image.at<std::uint8_t>({y, x, 1}) = shade;
            image.at<std::uint8_t>({y, x, 2}) = cls == 0 ? shade : 200;
          }
        }
        // Names of different lengths, as the real download's (horse01-0.png,
        // human10-17.png): the paths must not reach the batches.
        write_file((folder / (std::string(cls == 0 ? "horse" : "human-") + std::to_string(k * 37) + ".png")).string(),
                   data::encode_png(image));
      }
    }
  }
}

TEST(TrainCommandDataTest, HorsesOrHumansFolderTrainsTheCnn) {
  TempDir dir;
  write_image_folder(dir.path().string(), 4);
  const std::string out = dir.file("out");
  const RunResult r = run_spool({"train", "--dataset", "horses-or-humans", "--data", dir.path().string(), "--model",
                                 "cnn", "--epochs", "1", "--batch-size", "4", "--threads", "2", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("spool train: horses-or-humans (8 train, 8 validation) · 48x48 grayscale (area) · model cnn · "
                       "1 epochs · batch 4 · "
                       "Adam lr 0.003, cosine decay to 0 over 1 epochs (2 steps) ·"),
            std::string::npos)
      << r.out;
  // 48x48 grayscale in: the summary's first layer sees it (3 * 3 * 1 * 16 + 16 weights).
  EXPECT_NE(r.out.find("(None, 46, 46, 16)        160"), std::string::npos) << r.out;
  static const std::regex kLast(R"(test accuracy: [01]\.\d{4})");
  ASSERT_FALSE(lines(r.out).empty());
  EXPECT_TRUE(std::regex_match(lines(r.out).back(), kLast)) << lines(r.out).back();
  const std::vector<boost::json::object> metrics = read_jsonl(out + "/metrics.jsonl");
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0].at("epoch").to_number<int>(), 1);
  EXPECT_EQ(four_digits(metrics[0].at("val_accuracy").to_number<double>()), lines(r.out).back().substr(15));
}

TEST(TrainCommandDataTest, ImageSizeAndInterpolationReachTheModel) {
  TempDir dir;
  write_image_folder(dir.path().string(), 4);
  const auto run = [&](const std::string& interpolation) {
    return run_spool({"train", "--dataset", "horses-or-humans", "--data", dir.path().string(), "--epochs", "1",
                      "--batch-size", "4", "--threads", "1", "--image-size", "32", "--interpolation", interpolation,
                      "--color-mode", "rgb"});
  };
  const RunResult area = run("area"), bilinear = run("bilinear");
  ASSERT_EQ(area.exit_code, 0) << area.err << area.out;
  ASSERT_EQ(bilinear.exit_code, 0) << bilinear.err << bilinear.out;
  EXPECT_NE(area.out.find("· 32x32 rgb (area) ·"), std::string::npos) << area.out;
  EXPECT_NE(area.out.find("(None, 30, 30, 16)        448"), std::string::npos) << area.out;  // 32x32 RGB in
  // 20x24 up to 32x32: area repeats whole source pixels, bilinear blends neighbours, so
  // the pixels and with them the epoch's loss differ.
  const auto loss_line = [](const RunResult& r) {
    for (const std::string& line : lines(r.out)) {
      if (line.find("loss") != std::string::npos && line.find("val_loss") != std::string::npos) return line;
    }
    return std::string();
  };
  EXPECT_FALSE(loss_line(area).empty()) << area.out;
  EXPECT_NE(loss_line(area), loss_line(bilinear));
}

TEST(TrainCommandDataTest, ResumeRefusesOtherImagePreparation) {
  TempDir dir;
  write_image_folder(dir.path().string(), 4);
  const std::string out = dir.file("out");
  const std::vector<std::string> first = {"train", "--dataset", "horses-or-humans", "--data", dir.path().string(),
                                          "--epochs", "1", "--batch-size", "4", "--threads", "1", "--out", out};
  ASSERT_EQ(run_spool(first).exit_code, 0);
  const std::optional<autodiff::ImageInput> saved = autodiff::restore_checkpoint(out, {}, nullptr).info.image_input;
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(saved->image_size, 48);
  EXPECT_EQ(saved->color_mode, "grayscale");
  EXPECT_EQ(saved->interpolation, "area");
  // The same shapes, other pixels: refused rather than continued as no run would.
  std::vector<std::string> resumed = first;
  resumed.insert(resumed.end(), {"--resume", "--interpolation", "bilinear"});
  const RunResult r = run_spool(resumed);
  EXPECT_EQ(r.exit_code, 2) << r.err;  // flags that disagree with the checkpoint, as another --lr
  EXPECT_NE(r.err.find("was trained with interpolation area, not bilinear"), std::string::npos) << r.err;

  // A checkpoint from before spool train recorded its images was trained on the
  // defaults of then, Keras' 150x150 rgb bilinear.
  std::vector<NamedTensor> entries = load_tensors(out + "/checkpoint.tensors");
  std::erase_if(entries, [](const NamedTensor& t) {
    return t.name == "metadata/image_size" || t.name == "metadata/color_mode" || t.name == "metadata/interpolation";
  });
  save_tensors(out + "/checkpoint.tensors", entries);
  std::vector<std::string> same_flags = first;
  same_flags.push_back("--resume");
  const RunResult old = run_spool(same_flags);
  EXPECT_EQ(old.exit_code, 2) << old.err;
  EXPECT_NE(old.err.find("was trained with image_size 150, not 48"), std::string::npos) << old.err;
}

TEST(TrainCommandDataTest, AnImageFolderWithThreeClassesExit1) {
  TempDir dir;
  write_image_folder(dir.path().string(), 1);
  fs::create_directory(dir.path() / "train" / "zebras");
  fs::copy_file(dir.path() / "train" / "horses" / "horse0.png", dir.path() / "train" / "zebras" / "zebra0.png");
  const RunResult r = run_spool({"train", "--dataset", "horses-or-humans", "--data", dir.path().string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("needs exactly 2 class folders, '" + dir.file("train") + "' has 3"), std::string::npos) << r.err;
}

TEST(TrainCommandDataTest, AnImageFolderWithoutValidationExit1NamingTheFolder) {
  TempDir dir;
  write_image_folder(dir.path().string(), 1);
  fs::remove_all(dir.path() / "validation");
  const RunResult r = run_spool({"train", "--dataset", "horses-or-humans", "--data", dir.path().string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("no validation/ folder in '" + dir.path().string() + "'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace spool::testing
