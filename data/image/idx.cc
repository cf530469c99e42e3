#include "spool/data/image/idx.h"

#include <array>
#include <bit>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "spool/data/io/byte_source.h"
#include "spool/data/io/inflate_whole.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

// The magic, the type, the rank and up to four sizes.
constexpr std::uint64_t kMaxHeader = 4 + 4 * 4;

// The file's bytes, inflated when it starts with the gzip magic; counts what it gave.
class IdxInput {
 public:
  explicit IdxInput(const std::string& path) : path_(path), source_(detail::open_file_source(path)) {
    file_size_ = source_->size();
    std::vector<std::byte> magic(2);
    magic.resize(source_->read(magic.data(), magic.size()));
    gzip_ = magic.size() == 2 && magic[0] == std::byte{0x1f} && magic[1] == std::byte{0x8b};
    source_ = detail::make_prefixed_source(std::move(magic), std::move(source_));
    if (gzip_) {
      source_ = detail::make_fast_inflate_source(std::move(source_), Compression::kGzip, kMaxIdxGzipBytes + kMaxHeader,
                                                 1 << 16, path);
    }
  }

  // Up to n bytes; fewer only at the end.
  std::size_t read(std::byte* dst, std::size_t n) {
    try {
      std::size_t done = 0;
      while (done < n) {
        const std::size_t got = source_->read(dst + done, n - done);
        if (got == 0) break;
        done += got;
      }
      offset_ += done;
      return done;
    } catch (const detail::StreamError& e) {
      SPOOL_THROW(DataLossError, "idx: ", e.what(), " in ", spool::quoted(path_), " at uncompressed offset ", e.offset());
    }
  }

  bool gzip() const { return gzip_; }
  // The size on disk, when known (a regular file); for gzip input the stream's size is unknown.
  std::optional<std::uint64_t> raw_size() const { return gzip_ ? std::nullopt : file_size_; }
  // The size on disk of a gzip file (a hint for the inflated size, never a bound).
  std::optional<std::uint64_t> compressed_size() const { return gzip_ ? file_size_ : std::nullopt; }
  std::uint64_t offset() const { return offset_; }

 private:
  std::string path_;
  std::unique_ptr<detail::ByteSource> source_;
  std::optional<std::uint64_t> file_size_;
  bool gzip_ = false;
  std::uint64_t offset_ = 0;
};

struct IdxType {
  DType dtype;
  const char* name;
};

IdxType idx_type(std::uint8_t code, const std::string& path) {
  switch (code) {
    case 0x08: return {DType::kU8, "u8"};
    case 0x0C: return {DType::kI32, "i32"};
    case 0x0D: return {DType::kF32, "f32"};
    case 0x0E: return {DType::kF64, "f64"};
    case 0x09:
    case 0x0B:
      SPOOL_THROW(Unimplemented, "idx: data type code ", static_cast<int>(code), " (", code == 0x09 ? "i8" : "i16",
                  ") in ", spool::quoted(path), " at offset 2 has no Spool dtype; supported: 8 (u8), 12 (i32), 13 (f32), 14 (f64)");
    default:
      SPOOL_THROW(DataLossError, "idx: unknown data type code ", static_cast<int>(code), " in ", spool::quoted(path),
                  " at offset 2; expected 8 (u8), 9 (i8), 11 (i16), 12 (i32), 13 (f32) or 14 (f64)");
  }
}

std::uint32_t big_endian_u32(const std::byte* p) {
  return (std::to_integer<std::uint32_t>(p[0]) << 24) | (std::to_integer<std::uint32_t>(p[1]) << 16) |
         (std::to_integer<std::uint32_t>(p[2]) << 8) | std::to_integer<std::uint32_t>(p[3]);
}

// IDX stores multi-byte values big-endian.
void to_host_order(std::byte* data, std::size_t count, std::size_t width) {
  if constexpr (std::endian::native == std::endian::big) return;
  for (std::size_t i = 0; i < count; ++i) {
    std::byte* v = data + i * width;
    for (std::size_t a = 0, b = width - 1; a < b; ++a, --b) std::swap(v[a], v[b]);
  }
}

// Reads exactly `bytes` (checked against the file size for raw input). For gzip input
// the header's count is not trusted: the buffer starts at 8x the compressed size
// (image data deflates 2-5x, so one allocation is usual) and doubles only as bytes
// arrive. The buffer is never zero-filled: every byte is read into before use.
std::shared_ptr<Storage> read_payload(IdxInput& in, std::uint64_t bytes, const std::string& path,
                                      const std::string& what, std::uint64_t header) {
  constexpr std::uint64_t kMinGzipBuffer = std::uint64_t{1} << 20;
  std::uint64_t capacity =
      in.raw_size() ? bytes : std::min(bytes, std::max(kMinGzipBuffer, 8 * in.compressed_size().value_or(0)));
  std::shared_ptr<Storage> buffer = Storage::allocate(static_cast<std::size_t>(capacity));
  std::uint64_t have = 0;
  for (;;) {
    const std::size_t got = in.read(buffer->data() + have, static_cast<std::size_t>(capacity - have));
    SPOOL_CHECK(have + got == capacity, DataLossError, "idx: ", spool::quoted(path), " is truncated: its header (", what,
                ") needs ", header + bytes, " bytes, found ", header + have + got);
    have = capacity;
    if (capacity == bytes) break;
    capacity = std::min<std::uint64_t>(bytes, capacity * 2);
    std::shared_ptr<Storage> grown = Storage::allocate(static_cast<std::size_t>(capacity));
    std::memcpy(grown->data(), buffer->data(), static_cast<std::size_t>(have));
    buffer = std::move(grown);
  }
  std::byte extra{};
  SPOOL_CHECK(in.read(&extra, 1) == 0, DataLossError, "idx: ", spool::quoted(path), " has bytes after the data: its header (",
              what, ") needs ", header + bytes, " bytes, found more");
  return buffer;
}

}  // namespace

Tensor read_idx(const std::string& path) {
  IdxInput in(path);
  std::array<std::byte, 4 + 4 * 4> header{};
  const std::size_t got = in.read(header.data(), 4);
  SPOOL_CHECK(got == 4, DataLossError, "idx: truncated header in ", spool::quoted(path), ": expected 4 bytes, found ", got);
  if (header[0] != std::byte{0} || header[1] != std::byte{0}) {
    std::ostringstream found;
    found << std::hex << std::to_integer<int>(header[0]) << ' ' << std::to_integer<int>(header[1]);
    SPOOL_THROW(DataLossError, "idx: bad magic in ", spool::quoted(path), " at offset 0: expected 0 0, found ", found.str(),
                " (hex)");
  }
  const IdxType type = idx_type(std::to_integer<std::uint8_t>(header[2]), path);
  const int ndim = std::to_integer<int>(header[3]);
  SPOOL_CHECK(ndim >= 1 && ndim <= 4, DataLossError, "idx: bad number of dimensions ", ndim, " in ", spool::quoted(path),
              " at offset 3: expected 1 to 4");
  const std::uint64_t header_bytes = 4 + 4 * static_cast<std::uint64_t>(ndim);
  const std::size_t got_dims = in.read(header.data() + 4, header_bytes - 4);
  SPOOL_CHECK(got_dims == header_bytes - 4, DataLossError, "idx: truncated header in ", spool::quoted(path), ": expected ",
              header_bytes, " bytes for ", ndim, " dimensions, found ", 4 + got_dims);

  std::vector<std::int64_t> dims;
  std::uint64_t bytes = dtype_size(type.dtype);  // saturates at UINT64_MAX
  for (int d = 0; d < ndim; ++d) {
    const std::uint32_t n = big_endian_u32(header.data() + 4 + 4 * d);
    dims.push_back(n);
    bytes = (n != 0 && bytes > UINT64_MAX / n) ? UINT64_MAX : bytes * n;
  }
  const Shape shape(dims);
  const std::string what = std::string(type.name) + shape.to_string();
  if (const auto size = in.raw_size()) {
    SPOOL_CHECK(bytes <= *size && header_bytes + bytes <= *size, DataLossError, "idx: ", spool::quoted(path),
                " is truncated: its header (", what, ") needs ",
                bytes == UINT64_MAX ? std::string("more than 2^64") : std::to_string(header_bytes + bytes),
                " bytes, found ", *size);
    SPOOL_CHECK(header_bytes + bytes == *size, DataLossError, "idx: ", spool::quoted(path),
                " has bytes after the data: its header (", what, ") needs ", header_bytes + bytes,
                " bytes, found ", *size);
  } else {
    SPOOL_CHECK(bytes <= kMaxIdxGzipBytes, DataLossError, "idx: ", spool::quoted(path), " declares ", what, " (",
                bytes == UINT64_MAX ? std::string("more than 2^64") : std::to_string(bytes),
                " bytes), more than the limit of ", kMaxIdxGzipBytes, " bytes for compressed input");
  }
  if (bytes == 0) {
    std::byte extra{};
    SPOOL_CHECK(in.read(&extra, 1) == 0, DataLossError, "idx: ", spool::quoted(path),
                " has bytes after the data: its header (", what, ") needs ", header_bytes, " bytes, found more");
    return Tensor::empty(shape, type.dtype);
  }
  std::shared_ptr<Storage> storage = read_payload(in, bytes, path, what, header_bytes);
  to_host_order(storage->data(), static_cast<std::size_t>(bytes / dtype_size(type.dtype)), dtype_size(type.dtype));
  return Tensor(std::move(storage), type.dtype, shape);
}

}  // namespace spool::data
