// The course's example programs (examples/tape_basics, examples/custom_loop), run as a
// user runs them: each must print TensorFlow's answers, and the custom loop must learn.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tools/run_spool.h"

namespace spool::testing {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The examples' default data: the Debian package dataset-fashion-mnist.
constexpr const char* kFashionMnist = "/usr/share/datasets/fashion-mnist";
bool have_fashion_mnist() {
  return std::filesystem::exists(std::string(kFashionMnist) + "/train-images-idx3-ubyte.gz");
}

bool has_line(const std::vector<std::string>& lines, const std::string& want) {
  for (const std::string& line : lines)
    if (line == want) return true;
  return false;
}

TEST(TapeBasicsExample, PrintsTensorFlowsAnswers) {
  const RunResult r = run_program(SPOOL_TAPE_BASICS_PATH, {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = lines_of(r.out);
  EXPECT_TRUE(has_line(lines, "d(x*x*x)/dx at 3 = 27")) << r.out;
  EXPECT_TRUE(has_line(lines, "d(pow(x, 3))/dx at 3 = 27")) << r.out;
  EXPECT_TRUE(has_line(lines, "dz/dx = 108, dy/dx = 6")) << r.out;
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "w = 2.00, b = -1.00") << r.out;
  EXPECT_EQ(r.err, "") << "no warning: every variable gets a gradient";
}

TEST(CustomLoopExample, LearnsFashionMnistAndReportsValidation) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "no Fashion-MNIST in " << kFashionMnist << " (dataset-fashion-mnist)";
  const RunResult r = run_program(SPOOL_CUSTOM_LOOP_PATH,
                                  {"--epochs", "2", "--train-examples", "4096", "--test-examples", "1000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0].rfind("epoch 1: loss ", 0), 0u) << r.out;
  EXPECT_EQ(lines[1].rfind("epoch 2: loss ", 0), 0u) << r.out;
  const std::string prefix = "validation accuracy: ";
  ASSERT_EQ(lines[2].rfind(prefix, 0), 0u) << r.out;
  // 128 Adam steps of a 784-128-10 MLP reach ~0.75 on Fashion-MNIST; chance is 0.1.
  EXPECT_GT(std::stod(lines[2].substr(prefix.size())), 0.65) << r.out;
}

TEST(CustomLoopExample, BadFlagsAndMissingDataAreErrors) {
  const RunResult bad = run_program(SPOOL_CUSTOM_LOOP_PATH, {"--epoch", "2"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("unknown flag --epoch"), std::string::npos) << bad.err;
  const RunResult missing = run_program(SPOOL_CUSTOM_LOOP_PATH, {"--data", "/nonexistent"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("/nonexistent"), std::string::npos) << missing.err;
}

TEST(FunctionalExample, ResidualModelTrainsBothWays) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "no Fashion-MNIST in " << kFashionMnist << " (dataset-fashion-mnist)";
  const RunResult r = run_program(SPOOL_FUNCTIONAL_PATH,
                                  {"--epochs", "1", "--train-examples", "2048", "--test-examples", "500"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Connected to"), std::string::npos) << "the functional summary:\n" << r.out;
  EXPECT_NE(r.out.find("add (Add)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("subclassed: 12650 parameters, as the functional model's 12650"), std::string::npos) << r.out;
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_FALSE(lines.empty());
  const std::string prefix = "test accuracy: ";
  ASSERT_EQ(lines.back().rfind(prefix, 0), 0u) << r.out;
  // 32 Adam steps take the residual CNN well past chance (0.1) on Fashion-MNIST.
  EXPECT_GT(std::stod(lines.back().substr(prefix.size())), 0.5) << r.out;
  const std::string sub = "subclassed test accuracy: ";
  ASSERT_EQ(lines[lines.size() - 2].rfind(sub, 0), 0u) << r.out;
  EXPECT_GT(std::stod(lines[lines.size() - 2].substr(sub.size())), 0.5) << r.out;
}

}  // namespace
}  // namespace spool::testing
