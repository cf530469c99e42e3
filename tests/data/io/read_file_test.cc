#include "spool/data/io/read_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "spool/tensor/error.h"
#include "test_support.h"

namespace spool::data {
namespace {

using spool::testing::TempDir;

std::string message_of(const std::string& path) {
  try {
    read_file(path);
  } catch (const IoError& e) {
    return e.what();
  }
  return "no IoError";
}

TEST(ReadFile, GivesEveryByteAsOneDimensionalU8) {
  TempDir dir;
  const std::string path = (dir.path() / "a.bin").string();
  const std::string bytes("\x89PNG\r\n\x1a\n\0\xff", 10);
  spool::testing::write_file(path, bytes);
  const Tensor t = read_file(path);
  EXPECT_EQ(t.dtype(), DType::kU8);
  EXPECT_EQ(t.shape(), (Shape{10}));
  EXPECT_EQ(t.as_string_view(), bytes);
  const std::string empty = (dir.path() / "empty").string();
  spool::testing::write_file(empty, "");
  EXPECT_EQ(read_file(empty).shape(), (Shape{0}));
}

TEST(ReadFile, MissingFilesAndFoldersAreIoErrorsNamingThePath) {
  TempDir dir;
  const std::string missing = (dir.path() / "nope.png").string();
  EXPECT_NE(message_of(missing).find("cannot open '" + missing + "'"), std::string::npos) << message_of(missing);
  EXPECT_EQ(message_of(dir.path().string()), "read_file: '" + dir.path().string() + "' is not a regular file");
}

}  // namespace
}  // namespace spool::data
