// Internal: a file that appears under its final name only when committed (tensor
// files, the TFRecord writer, record indexes). Bytes go to a temporary file beside the
// target (same folder, so rename() is atomic), which commit() renames into place and
// the destructor removes if never committed.
// No fsync: the guarantee is "whole or not at all" for readers, not crash durability.
// Thread-safety: one thread at a time.
#pragma once

#include <cstddef>
#include <string>

namespace spool::detail {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // throws IoError
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  void write(const void* data, std::size_t n);  // throws IoError
  void commit();                                 // throws IoError; the temp file is gone either way
  void discard() noexcept;
  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
};

}  // namespace spool::detail
