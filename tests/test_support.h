// Helpers shared by the tests: temporary folders and the shared data folder.
#pragma once

#include <filesystem>
#include <string>

namespace spool::testing {

// A fresh empty folder, removed with everything in it when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// ../shared/data beside the project, or an empty path when it is absent; tests that
// need it call GTEST_SKIP() with a message then.
std::filesystem::path shared_data_dir();

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& bytes);

}  // namespace spool::testing
