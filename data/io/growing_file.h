// Internal: a file read while another process still writes it. The writer
// (GrowingFile, behind WriterOptions().streaming(true)) holds an exclusive flock on the
// file from before its name appears until it is closed; a reader that follows the file
// (RecordOptions().follow(true)) waits for more bytes while that lock is held, and takes
// the released lock as the end of the stream. flock() is advisory and per open file
// description, so the two sides need not be in one process, and a writer killed with
// -9 releases it too (the reader then sees whatever tail it left, as corruption).
// Thread-safety: one thread at a time per object.
#pragma once

#include <cstddef>
#include <string>

namespace spool::data::detail {

// The writing side: the file appears under `path` at construction, already locked,
// and grows by write(); close() syncs it and releases the lock. Throws IoError naming
// the file.
class GrowingFile {
 public:
  explicit GrowingFile(std::string path);
  GrowingFile(const GrowingFile&) = delete;
  GrowingFile& operator=(const GrowingFile&) = delete;
  ~GrowingFile();  // releases the lock (closes) without the sync

  void write(const void* data, std::size_t n);
  void close();  // idempotent

 private:
  std::string path_;
  int fd_ = -1;
};

// The reading side: true while some other open file description holds an exclusive
// lock on the file `fd` refers to (a GrowingFile still being written).
bool writer_holds(int fd);

}  // namespace spool::data::detail
