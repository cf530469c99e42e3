// Internal: a file that appears under its final name only when committed (tensor
// files, the TFRecord writer, record indexes). Bytes go to a temporary file beside the
// target (same folder, so rename() is atomic), which commit() renames into place and
// the destructor removes if never committed.
// Durable once committed: commit() syncs the bytes before the rename and the folder
// after it, so that after a crash or power loss the file is either the new one whole or
// the one it replaced, never an empty or partial file under the final name. A failing
// write (a full disk) throws IoError naming the file and leaves the previous one there.
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

// Writes all `n` bytes to `fd`, retrying short writes and EINTR; 0, or the errno.
int write_fully(int fd, const void* data, std::size_t n);

// Appends `n` bytes to `path` (created if missing) and syncs them, and the folder when
// the file is new, before returning: for logs written a line at a time (metrics.jsonl),
// where a crash may cut the last line short but never loses a line reported written.
// Throws IoError naming the file.
void append_durably(const std::string& path, const void* data, std::size_t n);

}  // namespace spool::detail
