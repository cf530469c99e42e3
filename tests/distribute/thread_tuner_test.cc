// KernelThreadTuner: windows of steps per candidate on a made-up clock, the fastest
// kept (ties to the larger count), a short training keeping the best measured, and a
// real fit that ends with a chosen count set on the kernel pool.
#include "spool/distribute/thread_tuner.h"

#include <gtest/gtest.h>

#include <map>

#include "distribute/fit_test_support.h"
#include "spool/tensor/thread_pool.h"

namespace spool::distribute {
namespace {

using namespace fit_testing;

// Runs `steps` batch ends through `tuner`; each step takes seconds_per_step[threads set].
struct FakeSteps {
  explicit FakeSteps(std::map<int, double> per_step) : seconds_per_step(std::move(per_step)) {}
  std::map<int, double> seconds_per_step;
  int threads = 0;
  double clock = 0;
  std::vector<int> set_calls;

  KernelThreadTuner tuner(std::vector<int> candidates) {
    return KernelThreadTuner(
        std::move(candidates), /*warmup_steps=*/3, /*window_steps=*/4,
        [this](int n) {
          threads = n;
          set_calls.push_back(n);
        },
        [this] { return clock; });
  }
  void run(KernelThreadTuner& tuner, int steps, Trainer& trainer) {
    tuner.on_train_begin(trainer);
    for (int s = 0; s < steps; ++s) {
      clock += seconds_per_step.count(threads) ? seconds_per_step[threads] : 1.0;
      tuner.on_batch_end(s + 1, trainer);
    }
  }
};

TEST(KernelThreadTuner, MeasuresEachCandidateAndKeepsTheFastest) {
  BlobRun run(1);
  FakeSteps fake({{2, 0.02}, {1, 0.01}});
  KernelThreadTuner tuner = fake.tuner({2, 1});
  fake.run(tuner, 40, run.trainer);
  ASSERT_EQ(tuner.trials().size(), 2u);
  EXPECT_EQ(tuner.trials()[0].threads, 2);
  EXPECT_NEAR(tuner.trials()[0].steps_per_second, 50.0, 1e-6);
  EXPECT_NEAR(tuner.trials()[1].steps_per_second, 100.0, 1e-6);
  EXPECT_EQ(tuner.chosen(), 1);
  EXPECT_EQ(fake.threads, 1);
  // Each candidate set once for its window, then the choice.
  EXPECT_EQ(fake.set_calls, (std::vector<int>{2, 1, 1}));
}

TEST(KernelThreadTuner, ATieKeepsTheLargerCount) {
  BlobRun run(1);
  FakeSteps fake({{4, 0.01}, {3, 0.01}, {2, 0.01}});
  KernelThreadTuner tuner = fake.tuner(KernelThreadTuner::candidates_for(4));
  fake.run(tuner, 40, run.trainer);
  EXPECT_EQ(tuner.trials().size(), 3u);
  EXPECT_EQ(tuner.chosen(), 4);
}

TEST(KernelThreadTuner, TrainingShorterThanTheWindowsKeepsTheBestMeasured) {
  BlobRun run(1);
  FakeSteps fake({{2, 0.05}, {1, 0.01}});
  KernelThreadTuner tuner = fake.tuner({2, 1});
  fake.run(tuner, 9, run.trainer);  // warm-up 3, then 2's window (settle + 4) only
  EXPECT_FALSE(tuner.chosen());
  tuner.on_train_end(History{}, run.trainer);
  ASSERT_EQ(tuner.trials().size(), 1u);
  EXPECT_EQ(tuner.chosen(), 2);
  EXPECT_EQ(fake.threads, 2);
}

TEST(KernelThreadTuner, CandidatesAreTheCoresOneFewerAndHalf) {
  EXPECT_EQ(KernelThreadTuner::candidates_for(1), (std::vector<int>{1}));
  EXPECT_EQ(KernelThreadTuner::candidates_for(2), (std::vector<int>{2, 1}));
  EXPECT_EQ(KernelThreadTuner::candidates_for(16), (std::vector<int>{16, 15, 8}));
  EXPECT_THROW(KernelThreadTuner({}), Error);
  EXPECT_THROW(KernelThreadTuner({0}), Error);
}

TEST(KernelThreadTuner, AFitEndsWithTheChosenCountOnTheKernelPool) {
  const int saved = num_threads();
  set_num_threads(2);
  const Blobs data = blobs(300, 1);
  BlobRun run(7);
  auto tuner = std::make_shared<KernelThreadTuner>(std::vector<int>{2, 1}, 2, 3);
  run.trainer.fit(batches(data, 32, 3), silent().epochs(2).callback(tuner));
  ASSERT_EQ(tuner->trials().size(), 2u);
  ASSERT_TRUE(tuner->chosen());
  EXPECT_EQ(num_threads(), *tuner->chosen());
  for (const KernelThreadTuner::Trial& t : tuner->trials()) EXPECT_GT(t.steps_per_second, 0);
  set_num_threads(saved);
}

}  // namespace
}  // namespace spool::distribute
