// spool bench's flag parsing (tools/bench_config.cc) beyond what bench_test.cc covers:
// the cases the bench_source fuzz target found, each a bad usage (exit 2) with its message.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tools/run_spool.h"

namespace spool::testing {
namespace {

// std::stod reads "nan" and "inf": they were taken as MEAN and STD, and every pixel came
// out NaN (or 0).
TEST(BenchConfigTest, NormalizeRefusesNonFiniteMeanAndStd) {
  for (const std::string value : {"nan,1", "0.5,inf", "-inf,0.5"}) {
    const RunResult r = run_spool({"bench", "--source", "idx:images,labels", "--normalize", value});
    SCOPED_TRACE(value);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err, "spool bench: --normalize '" + value + "': MEAN and STD must be finite numbers\n");
  }
}

}  // namespace
}  // namespace spool::testing
