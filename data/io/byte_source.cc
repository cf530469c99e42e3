#include "spool/data/io/byte_source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <istream>
#include <thread>
#include <vector>

#include "spool/data/io/growing_file.h"

namespace spool::data::detail {

std::uint64_t ByteSource::skip(std::uint64_t n) {
  std::vector<std::byte> scratch(static_cast<std::size_t>(std::min<std::uint64_t>(n, 1 << 16)));
  std::uint64_t done = 0;
  while (done < n) {
    const std::size_t got = read(scratch.data(), static_cast<std::size_t>(std::min<std::uint64_t>(n - done, scratch.size())));
    if (got == 0) break;
    done += got;
  }
  return done;
}

namespace {

class FileSource final : public ByteSource {
 public:
  FileSource(const std::string& path, std::optional<std::chrono::milliseconds> follow_idle)
      : path_(path), follow_idle_(follow_idle) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    SPOOL_CHECK(fd_ >= 0, IoError, "cannot open ", quoted(path), ": ", std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
      const int err = errno;
      ::close(fd_);
      SPOOL_THROW(IoError, "cannot stat ", quoted(path), ": ", std::strerror(err));
    }
    if (S_ISREG(st.st_mode) && !follow_idle_) size_ = static_cast<std::uint64_t>(st.st_size);
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    last_arrival_ = std::chrono::steady_clock::now();
  }
  ~FileSource() override { ::close(fd_); }

  std::size_t read(std::byte* dst, std::size_t n) override {
    std::size_t done = read_available(dst, n);
    if (done > 0 || !follow_idle_ || n == 0) return done;
    // At the end of a followed file: poll, backing off to 50 ms, while a writer holds
    // it or bytes came recently. The lock is looked at before reading, so bytes written
    // just before the writer closed are still read.
    auto pause = std::chrono::milliseconds(1);
    while (true) {
      const bool held = writer_holds(fd_);
      done = read_available(dst, n);
      const auto now = std::chrono::steady_clock::now();
      if (done > 0) return done;
      if (!held && now - last_arrival_ >= *follow_idle_) return 0;
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
  }
  void rewind() override { seek_to(0); }
  std::uint64_t skip(std::uint64_t n) override {
    if (!size_) return ByteSource::skip(n);
    const off_t here = ::lseek(fd_, 0, SEEK_CUR);
    SPOOL_CHECK(here >= 0, IoError, "cannot seek in ", quoted(path_), ": ", std::strerror(errno));
    const std::uint64_t step = std::min<std::uint64_t>(n, *size_ - std::min<std::uint64_t>(*size_, static_cast<std::uint64_t>(here)));
    seek_to(static_cast<std::uint64_t>(here) + step);
    return step;
  }
  std::optional<std::uint64_t> size() const override { return size_; }

 private:
  void seek_to(std::uint64_t offset) {
    SPOOL_CHECK(::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) >= 0, IoError, "cannot seek to offset ", offset,
                " in ", quoted(path_), ": ", std::strerror(errno));
  }
  std::size_t read_available(std::byte* dst, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
      const ssize_t got = ::read(fd_, dst + done, std::min<std::size_t>(n - done, 1u << 30));
      if (got < 0 && errno == EINTR) continue;
      SPOOL_CHECK(got >= 0, IoError, "cannot read ", quoted(path_), ": ", std::strerror(errno));
      if (got == 0) break;
      done += static_cast<std::size_t>(got);
    }
    if (done > 0) last_arrival_ = std::chrono::steady_clock::now();
    return done;
  }

  std::string path_;
  int fd_ = -1;
  std::optional<std::uint64_t> size_;
  std::optional<std::chrono::milliseconds> follow_idle_;
  std::chrono::steady_clock::time_point last_arrival_;
};

class IstreamSource final : public ByteSource {
 public:
  IstreamSource(std::istream& in, std::string name) : in_(in), name_(std::move(name)), start_(in.tellg()) {}

  std::size_t read(std::byte* dst, std::size_t n) override {
    in_.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(n));
    SPOOL_CHECK(!in_.bad(), IoError, "cannot read stream ", quoted(name_));
    return static_cast<std::size_t>(in_.gcount());
  }
  void rewind() override {
    in_.clear();
    if (start_ != std::streampos(-1)) in_.seekg(start_);
    SPOOL_CHECK(start_ != std::streampos(-1) && in_, IoError, "cannot seek back in stream ", quoted(name_),
                ": it is not seekable");
  }

 private:
  std::istream& in_;
  std::string name_;
  std::streampos start_;
};

class MemorySource final : public ByteSource {
 public:
  MemorySource(std::shared_ptr<Storage> owner, std::span<const std::byte> bytes)
      : owner_(std::move(owner)), bytes_(bytes) {}
  std::size_t read(std::byte* dst, std::size_t n) override {
    const std::size_t k = std::min(n, bytes_.size() - pos_);
    if (k > 0) std::memcpy(dst, bytes_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  void rewind() override { pos_ = 0; }
  std::uint64_t skip(std::uint64_t n) override {
    const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(n, bytes_.size() - pos_));
    pos_ += k;
    return k;
  }
  std::optional<std::uint64_t> size() const override { return bytes_.size(); }
  std::span<const std::byte> in_memory() const override { return bytes_; }

 private:
  std::shared_ptr<Storage> owner_;
  std::span<const std::byte> bytes_;
  std::size_t pos_ = 0;
};

// Replays the bytes a caller already took from `rest` (to detect the compression)
// before the rest of it, so that unseekable streams need not go back.
class PrefixedSource final : public ByteSource {
 public:
  PrefixedSource(std::vector<std::byte> prefix, std::unique_ptr<ByteSource> rest)
      : prefix_(std::move(prefix)), rest_(std::move(rest)) {}
  std::size_t read(std::byte* dst, std::size_t n) override {
    const std::size_t k = std::min(n, prefix_.size() - used_);
    if (k > 0) std::memcpy(dst, prefix_.data() + used_, k);
    used_ += k;
    return k == n ? k : k + rest_->read(dst + k, n - k);
  }
  void rewind() override {
    rest_->rewind();
    used_ = prefix_.size();  // the prefix came from the start of rest_, which now replays it
  }
  std::uint64_t skip(std::uint64_t n) override {
    const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(n, prefix_.size() - used_));
    used_ += k;
    return k == n ? k : k + rest_->skip(n - k);
  }
  std::optional<std::uint64_t> size() const override { return rest_->size(); }

 private:
  std::vector<std::byte> prefix_;
  std::size_t used_ = 0;
  std::unique_ptr<ByteSource> rest_;
};

// Streams zlib or gzip through a bounded input buffer (none when the compressed bytes
// are already in memory) straight into the caller's buffer. Concatenated streams
// (gzip members) are read one after the other, as TensorFlow's ZlibInputStream does.
class InflateSource final : public ByteSource {
 public:
  InflateSource(std::unique_ptr<ByteSource> in, Compression c, std::size_t buffer_size, std::string name)
      : in_(std::move(in)), memory_(in_->in_memory()), label_(c == Compression::kGzip ? "gzip" : "zlib"),
        name_(std::move(name)) {
    if (memory_.empty()) input_.resize(std::max<std::size_t>(buffer_size, 4096));
    const int window_bits = c == Compression::kGzip ? 16 + MAX_WBITS : MAX_WBITS;
    SPOOL_CHECK(inflateInit2(&zs_, window_bits) == Z_OK, InternalError, "inflateInit2 failed for ", quoted(name_));
  }
  ~InflateSource() override { inflateEnd(&zs_); }

  std::size_t read(std::byte* dst, std::size_t n) override {
    if (error_) throw StreamError(*error_, error_offset_);
    std::size_t produced = 0;
    while (produced < n && !finished_) {
      // Give back what is inflated before asking a followed file for more, which may
      // wait: the records in it are due now.
      if (zs_.avail_in == 0 && produced > 0 && memory_.empty()) break;
      if (zs_.avail_in == 0 && !input_eof_ && !refill()) input_eof_ = true;
      if (!in_member_) {
        if (zs_.avail_in == 0) {  // input_eof_: nothing after the last stream
          finished_ = true;
          break;
        }
        if (started_) inflateReset(&zs_);  // a further gzip member (or zlib stream)
        in_member_ = started_ = true;
      }
      zs_.next_out = reinterpret_cast<Bytef*>(dst + produced);
      zs_.avail_out = static_cast<uInt>(std::min<std::size_t>(n - produced, UINT_MAX));
      const uInt before = zs_.avail_out;
      const int ret = inflate(&zs_, Z_NO_FLUSH);
      const std::size_t out = before - zs_.avail_out;
      produced += out;
      total_out_ += out;
      if (ret == Z_STREAM_END) {
        in_member_ = false;
      } else if (ret == Z_OK || ret == Z_BUF_ERROR) {
        // No progress with all input used: the stream stops in the middle.
        if (out == 0 && zs_.avail_in == 0 && input_eof_) {
          fail(std::string("truncated ") + label_ + " stream");
          break;
        }
      } else {
        fail(std::string("corrupt ") + label_ + " stream (zlib: " + (zs_.msg ? zs_.msg : zError(ret)) + ")");
        break;
      }
    }
    if (error_ && produced == 0) throw StreamError(*error_, error_offset_);
    return produced;
  }

  void rewind() override {
    if (memory_.empty()) in_->rewind();
    memory_pos_ = 0;
    inflateReset(&zs_);
    zs_.avail_in = 0;
    total_out_ = 0;
    in_member_ = started_ = finished_ = input_eof_ = false;
    error_.reset();
  }

 private:
  bool refill() {
    if (!memory_.empty()) {
      const std::size_t k = std::min<std::size_t>(memory_.size() - memory_pos_, 1u << 30);
      zs_.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(memory_.data() + memory_pos_));
      zs_.avail_in = static_cast<uInt>(k);
      memory_pos_ += k;
      return k > 0;
    }
    const std::size_t k = in_->read(input_.data(), input_.size());
    zs_.next_in = reinterpret_cast<Bytef*>(input_.data());
    zs_.avail_in = static_cast<uInt>(k);
    return k > 0;
  }
  // Defers the error until every byte before it has been delivered.
  void fail(std::string what) {
    error_ = std::move(what);
    error_offset_ = total_out_;
  }

  std::unique_ptr<ByteSource> in_;
  std::span<const std::byte> memory_;
  std::size_t memory_pos_ = 0;
  std::vector<std::byte> input_;
  const char* label_;
  std::string name_;
  z_stream zs_{};
  std::uint64_t total_out_ = 0;
  bool in_member_ = false;
  bool started_ = false;
  bool finished_ = false;
  bool input_eof_ = false;
  std::optional<std::string> error_;
  std::uint64_t error_offset_ = 0;
};

}  // namespace

std::shared_ptr<Storage> map_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  SPOOL_CHECK(fd >= 0, IoError, "cannot open ", quoted(path), ": ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    SPOOL_THROW(IoError, "cannot stat ", quoted(path), ": ", std::strerror(err));
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return Storage::allocate(0);
  }
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);  // the mapping keeps the file open
  SPOOL_CHECK(p != MAP_FAILED, IoError, "cannot map ", quoted(path), " (", size, " bytes): ", std::strerror(err));
  ::madvise(p, size, MADV_SEQUENTIAL);
  return Storage::wrap(p, size, [size](void* q) { ::munmap(q, size); });
}

bool populate_mapping(const std::byte* addr, std::size_t n) {
#ifdef MADV_POPULATE_READ
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(addr) / page * page;
  const auto end = reinterpret_cast<std::uintptr_t>(addr) + n;
  return ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_READ) == 0;
#else
  (void)addr;
  (void)n;
  return false;
#endif
}

std::unique_ptr<ByteSource> open_file_source(const std::string& path,
                                             std::optional<std::chrono::milliseconds> follow_idle) {
  return std::make_unique<FileSource>(path, follow_idle);
}

std::unique_ptr<ByteSource> make_istream_source(std::istream& in, const std::string& name) {
  return std::make_unique<IstreamSource>(in, name);
}

std::unique_ptr<ByteSource> make_memory_source(std::shared_ptr<Storage> owner, std::span<const std::byte> bytes) {
  return std::make_unique<MemorySource>(std::move(owner), bytes);
}

std::unique_ptr<ByteSource> make_prefixed_source(std::vector<std::byte> prefix, std::unique_ptr<ByteSource> rest) {
  return std::make_unique<PrefixedSource>(std::move(prefix), std::move(rest));
}

std::unique_ptr<ByteSource> make_inflate_source(std::unique_ptr<ByteSource> compressed, Compression compression,
                                                std::size_t buffer_size, const std::string& name) {
  return std::make_unique<InflateSource>(std::move(compressed), compression, buffer_size, name);
}

}  // namespace spool::data::detail
