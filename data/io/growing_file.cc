#include "spool/data/io/growing_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "spool/tensor/atomic_file.h"
#include "spool/tensor/error.h"

namespace spool::data::detail {

GrowingFile::GrowingFile(std::string path) : path_(std::move(path)) {
  // Locked under a temporary name, then renamed: a follower that opens the final name
  // always finds the lock, never an unlocked empty file it would take as ended.
  const std::string temp = spool::detail::concat(path_, ".tmp-", ::getpid(), "-0-0");
  fd_ = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  SPOOL_CHECK(fd_ >= 0, IoError, "cannot create ", quoted(temp), ": ", std::strerror(errno));
  int err = ::flock(fd_, LOCK_EX) == 0 ? 0 : errno;
  if (err == 0 && std::rename(temp.c_str(), path_.c_str()) != 0) err = errno;
  if (err != 0) {
    ::close(fd_);
    fd_ = -1;
    std::remove(temp.c_str());
    SPOOL_THROW(IoError, "cannot create ", quoted(path_), " for streaming: ", std::strerror(err));
  }
}

GrowingFile::~GrowingFile() {
  if (fd_ >= 0) ::close(fd_);
}

void GrowingFile::write(const void* data, std::size_t n) {
  SPOOL_CHECK(fd_ >= 0, IoError, "write to ", quoted(path_), " after it was closed");
  const int err = spool::detail::write_fully(fd_, data, n);
  SPOOL_CHECK(err == 0, IoError, "cannot write ", quoted(path_), ": ", std::strerror(err));
}

void GrowingFile::close() {
  if (fd_ < 0) return;
  const int fd = fd_;
  fd_ = -1;
  int err = ::fsync(fd) == 0 ? 0 : errno;
  if (::close(fd) != 0 && err == 0) err = errno;  // the lock goes with the descriptor
  SPOOL_CHECK(err == 0, IoError, "cannot write ", quoted(path_), ": ", std::strerror(err));
}

bool writer_holds(int fd) {
  if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
    ::flock(fd, LOCK_UN);
    return false;
  }
  return errno == EWOULDBLOCK;
}

}  // namespace spool::data::detail
