#include "spool/tensor/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <random>

#include "spool/tensor/error.h"

namespace spool::detail {
namespace {

bool fsync_retrying(int fd) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

// 0, or the errno of opening or syncing the folder that holds `path`.
int sync_folder_of(const std::string& path) {
  const std::string folder = std::filesystem::path(path).parent_path().string();
  const int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const int err = dir < 0 ? errno : (fsync_retrying(dir) ? 0 : errno);
  if (dir >= 0) ::close(dir);
  return err;
}

}  // namespace

int write_fully(int fd, const void* data, std::size_t n) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return errno;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return 0;
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  // Not mkstemp: its files are 0600, while a finished file should get the mode the
  // umask gives; O_EXCL on a name unique to this process and call keeps it safe.
  static std::atomic<std::uint64_t> counter{0};
  const std::uint64_t salt = std::random_device{}();
  for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
    temp_path_ = spool::detail::concat(path_, ".tmp-", ::getpid(), "-", salt, "-", counter.fetch_add(1));
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && errno != EEXIST) break;
  }
  SPOOL_CHECK(fd_ >= 0, IoError, "cannot create a temporary file for ", quoted(path_), ": ", std::strerror(errno));
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::write(const void* data, std::size_t n) {
  SPOOL_CHECK(fd_ >= 0, IoError, "write to ", quoted(path_), " after it was closed");
  if (const int err = write_fully(fd_, data, n); err != 0) {
    discard();
    SPOOL_THROW(IoError, "cannot write ", quoted(path_), ": ", std::strerror(err));
  }
}

void AtomicFile::commit() {
  SPOOL_CHECK(fd_ >= 0, IoError, "commit of ", quoted(path_), " after it was closed");
  const int fd = fd_;
  fd_ = -1;
  // Some file systems report a full disk only here, at the sync or the close.
  int err = fsync_retrying(fd) ? 0 : errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    std::remove(temp_path_.c_str());
    SPOOL_THROW(IoError, "cannot write ", quoted(path_), ": ", std::strerror(err));
  }
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    err = errno;
    std::remove(temp_path_.c_str());
    SPOOL_THROW(IoError, "cannot rename ", quoted(temp_path_), " to ", quoted(path_), ": ", std::strerror(err));
  }
  // The rename itself is durable once the folder's entry is synced.
  err = sync_folder_of(path_);
  SPOOL_CHECK(err == 0, IoError, "wrote ", quoted(path_), " but cannot sync its folder: ", std::strerror(err));
}

void AtomicFile::discard() noexcept {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  std::remove(temp_path_.c_str());
}

void append_durably(const std::string& path, const void* data, std::size_t n) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  const bool created = fd < 0 && errno == ENOENT;
  if (created) fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  SPOOL_CHECK(fd >= 0, IoError, "cannot append to ", quoted(path), ": ", std::strerror(errno));
  struct stat before{};
  int err = ::fstat(fd, &before) == 0 ? 0 : errno;
  if (err == 0) {
    err = write_fully(fd, data, n);
    // A write that failed half way (a full disk) is taken back, so the file ends whole.
    if (err != 0) (void)::ftruncate(fd, before.st_size);
  }
  if (err == 0 && !fsync_retrying(fd)) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && created) err = sync_folder_of(path);
  SPOOL_CHECK(err == 0, IoError, "cannot append to ", quoted(path), ": ", std::strerror(err));
}

}  // namespace spool::detail
