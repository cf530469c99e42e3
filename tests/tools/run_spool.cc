#include "tools/run_spool.h"

#include <fcntl.h>
#include <spawn.h>
#include <signal.h>
#include <sys/wait.h>

#include <optional>
#include <stdexcept>
#include <thread>

#include "test_support.h"

extern char** environ;

namespace spool::testing {

namespace {

// Runs `path` with `args`; with `kill_after`, sends SIGKILL once that long has passed
// if the process still runs.
RunResult run(const std::string& path, const std::vector<std::string>& args,
              std::optional<std::chrono::microseconds> kill_after) {
  TempDir dir;
  const std::string out_path = dir.file("stdout");
  const std::string err_path = dir.file("stderr");

  // posix_spawn rather than system(): no shell, so paths and arguments need no quoting.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);

  std::vector<std::string> argv_strings = {path};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  pid_t pid = 0;
  const int spawn_error = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) throw std::runtime_error("cannot start " + path);
  int status = 0;
  if (kill_after) {
    const auto deadline = std::chrono::steady_clock::now() + *kill_after;
    pid_t ended = 0;
    while ((ended = waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (ended == 0) ::kill(pid, SIGKILL);
    if (ended == 0 && waitpid(pid, &status, 0) != pid) throw std::runtime_error("waitpid failed");
  } else if (waitpid(pid, &status, 0) != pid) {
    throw std::runtime_error("waitpid failed");
  }

  RunResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  return result;
}

}  // namespace

RunResult run_spool(const std::vector<std::string>& args) { return run(SPOOL_CLI_PATH, args, std::nullopt); }

RunResult run_spool_killed_after(const std::vector<std::string>& args, std::chrono::microseconds after) {
  return run(SPOOL_CLI_PATH, args, after);
}

RunResult run_program(const std::string& path, const std::vector<std::string>& args) {
  return run(path, args, std::nullopt);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace spool::testing
