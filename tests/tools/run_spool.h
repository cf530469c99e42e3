// Runs the built `spool` binary (SPOOL_CLI_PATH), or with run_program any other (the
// examples), as a child process and captures what it prints, so the tests check the
// real command line contract: exit codes, stdout lines and the one-line stderr message.
//
//   RunResult r = run_spool({"verify", path});
//   EXPECT_EQ(r.exit_code, 0);
//   EXPECT_EQ(lines(r.out), (std::vector<std::string>{path + ": 3 records, ok"}));
//
// Thread-safety: each call uses its own temporary files; safe to call concurrently.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace spool::testing {

struct RunResult {
  int exit_code = -1;  // the process's exit status; 128 + signal if it was killed
  std::string out;
  std::string err;
};

RunResult run_spool(const std::vector<std::string>& args);
// The same for any program: `path` with `args`.
RunResult run_program(const std::string& path, const std::vector<std::string>& args);

// run_spool, but the process gets SIGKILL `after` its start unless it ended first
// (exit_code 137 when it was killed).
RunResult run_spool_killed_after(const std::vector<std::string>& args, std::chrono::microseconds after);

// `text` split at '\n', without the newlines; a final newline ends the last line.
std::vector<std::string> lines(const std::string& text);

}  // namespace spool::testing
