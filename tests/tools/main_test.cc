// The command line contract every subcommand shares: dispatch, --help, --version,
// exit status 2 with one "spool CMD: ..." line for bad usage, 1 for I/O errors.
#include <gtest/gtest.h>

#include "test_support.h"
#include "tools/run_spool.h"

namespace spool::testing {
namespace {

// One line on stderr, starting with the command's name; nothing on stdout.
void expect_one_error_line(const RunResult& r, const std::string& prefix) {
  EXPECT_EQ(r.out, "");
  const std::vector<std::string> err = lines(r.err);
  ASSERT_EQ(err.size(), 1u) << r.err;
  EXPECT_EQ(err[0].rfind(prefix, 0), 0u) << err[0];
}

TEST(SpoolMainTest, NoCommandIsAUsageError) {
  const RunResult r = run_spool({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "spool: no command given (see spool --help)\n");
}

TEST(SpoolMainTest, UnknownCommandIsAUsageError) {
  const RunResult r = run_spool({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "spool: unknown command 'frobnicate' (see spool --help)\n");
}

TEST(SpoolMainTest, HelpAndVersion) {
  for (const char* flag : {"--help", "-h"}) {
    const RunResult r = run_spool({flag});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out.rfind("usage: spool <command>", 0), 0u) << r.out;
    for (const char* command : {"inspect", "verify", "index", "demo"}) {
      EXPECT_NE(r.out.find(std::string("  ") + command + " "), std::string::npos) << command;
    }
  }
  const RunResult version = run_spool({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "spool 0.1.0\n");
}

TEST(SpoolMainTest, EverySubcommandHasHelp) {
  for (const std::string command : {"inspect", "verify", "index", "demo"}) {
    for (const char* flag : {"--help", "-h"}) {
      const RunResult r = run_spool({command, flag});
      EXPECT_EQ(r.exit_code, 0) << command;
      EXPECT_EQ(r.out.rfind("usage: spool " + command, 0), 0u) << r.out;
      EXPECT_NE(r.out.find("--help"), std::string::npos) << command;
      EXPECT_EQ(r.err, "");
    }
  }
}

TEST(SpoolMainTest, UnknownOptionsAndBadValuesAreUsageErrors) {
  const std::vector<std::vector<std::string>> cases = {
      {"inspect", "--bogus", "f"},
      {"inspect", "--limit", "abc", "f"},
      {"inspect", "--limit", "-1", "f"},
      {"inspect", "--limit"},
      {"inspect", "--compression", "lzma", "f"},
      {"inspect", "--compression", "GZIP", "f"},
      {"inspect"},
      {"verify", "--bogus", "f"},
      {"verify", "--compression", "brotli", "f"},
      {"verify"},
      {"index", "--all", "f"},
      {"index", "--compression", "", "f"},
      {"index"},
      {"demo", "--records", "0"},
      {"demo", "--records", "x"},
      {"demo", "--source", "imagenet"},
      {"demo", "unexpected-operand"},
  };
  for (const auto& args : cases) {
    const RunResult r = run_spool(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    SCOPED_TRACE(joined);
    EXPECT_EQ(r.exit_code, 2);
    expect_one_error_line(r, "spool " + args[0] + ": ");
  }
}

TEST(SpoolMainTest, ExactUsageMessages) {
  EXPECT_EQ(run_spool({"inspect"}).err, "spool inspect: no FILE given (see --help)\n");
  EXPECT_EQ(run_spool({"inspect", "--limit", "-3", "f"}).err, "spool inspect: --limit -3 is negative\n");
  EXPECT_EQ(run_spool({"verify", "--compression", "lzma", "f"}).err,
            "spool verify: --compression 'lzma' is not one of auto, none, zlib, gzip\n");
  EXPECT_EQ(run_spool({"demo", "--records", "0"}).err, "spool demo: --records 0 is not in [1, 60000]\n");
}

TEST(SpoolMainTest, MissingFileIsAnIoError) {
  TempDir dir;
  const std::string missing = dir.file("missing.tfrecord");
  for (const std::string command : {"inspect", "verify", "index"}) {
    const RunResult r = run_spool({command, missing});
    EXPECT_EQ(r.exit_code, 1) << command;
    expect_one_error_line(r, "spool " + command + ": ");
    EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace spool::testing
