#include "spool/data/io/inflate_whole.h"

#include <libdeflate.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>

#include "spool/tensor/error.h"

namespace spool::data::detail {
namespace {

struct DecompressorDeleter {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

// A first output size: exact for a single gzip member under 4 GiB, whose trailer
// stores its size modulo 2^32; otherwise deflate's usual 2-5x on Example records.
std::uint64_t first_guess(std::span<const std::byte> in, Compression compression) {
  std::uint64_t guess = 4 * static_cast<std::uint64_t>(in.size());
  if (compression == Compression::kGzip && in.size() >= 18) {
    const std::byte* t = in.data() + in.size() - 4;
    guess = std::to_integer<std::uint64_t>(t[0]) | std::to_integer<std::uint64_t>(t[1]) << 8 |
            std::to_integer<std::uint64_t>(t[2]) << 16 | std::to_integer<std::uint64_t>(t[3]) << 24;
  }
  // Deflate inflates at most about 1032:1: a trailer claiming more is not believed.
  const std::uint64_t most = std::max<std::uint64_t>(4096, 1032 * static_cast<std::uint64_t>(in.size()));
  return std::clamp<std::uint64_t>(guess, 4096, most);
}

// Fresh memory on huge pages where the kernel gives them: touching a new 4 KiB page
// costs more than libdeflate takes to fill it, so that large buffers on small pages
// would spend most of a whole inflation in page faults.
std::shared_ptr<Storage> allocate_large(std::size_t bytes) {
  constexpr std::size_t kHugePage = std::size_t{2} << 20;
  if (bytes < 2 * kHugePage) return Storage::allocate(bytes);
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return Storage::allocate(bytes);  // which says what could not be had
  ::madvise(p, bytes, MADV_HUGEPAGE);
  return Storage::wrap(p, bytes, [bytes](void* q) { ::munmap(q, bytes); });
}

std::shared_ptr<Storage> grow(const std::shared_ptr<Storage>& old, std::size_t used, std::size_t capacity) {
  std::shared_ptr<Storage> fresh = allocate_large(capacity);
  if (used > 0) std::memcpy(fresh->data(), old->data(), used);
  return fresh;
}

}  // namespace

std::optional<OwnedBytes> inflate_whole(std::span<const std::byte> compressed, Compression compression,
                                      std::uint64_t limit) {
  SPOOL_CHECK(compression == Compression::kGzip || compression == Compression::kZlib, InvalidArgument,
              "inflate_whole: compression must be zlib or gzip, got ", compression_name(compression));
  const std::unique_ptr<libdeflate_decompressor, DecompressorDeleter> d(libdeflate_alloc_decompressor());
  SPOOL_CHECK(d != nullptr, InternalError, "inflate_whole: libdeflate_alloc_decompressor failed");
  const auto cap_limit = static_cast<std::size_t>(std::min<std::uint64_t>(limit, SIZE_MAX / 2));
  std::size_t capacity = static_cast<std::size_t>(std::min<std::uint64_t>(first_guess(compressed, compression), cap_limit));
  std::shared_ptr<Storage> out = allocate_large(capacity);
  std::size_t used = 0;
  std::size_t in_pos = 0;
  while (in_pos < compressed.size()) {
    std::size_t in_n = 0;
    std::size_t out_n = 0;
    const void* in = compressed.data() + in_pos;
    const std::size_t in_left = compressed.size() - in_pos;
    const libdeflate_result r =
        compression == Compression::kGzip
            ? libdeflate_gzip_decompress_ex(d.get(), in, in_left, out->data() + used, capacity - used, &in_n, &out_n)
            : libdeflate_zlib_decompress_ex(d.get(), in, in_left, out->data() + used, capacity - used, &in_n, &out_n);
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE && capacity < cap_limit) {
      // libdeflate restarts the stream into the larger buffer: doubling bounds the
      // work thrown away to the size of the output.
      capacity = std::min(cap_limit, capacity * 2);
      out = grow(out, used, capacity);
      continue;
    }
    if (r != LIBDEFLATE_SUCCESS || in_n == 0) return std::nullopt;
    in_pos += in_n;
    used += out_n;
  }
  // A guess well above the output (several members, or a zlib stream) is given back.
  if (capacity - used > capacity / 4) out = grow(out, used, used);
  return OwnedBytes{std::move(out), used};
}

OwnedBytes read_whole(ByteSource& source, std::size_t size) {
  OwnedBytes bytes{allocate_large(size), 0};
  while (bytes.size < size) {
    const std::size_t k = source.read(bytes.storage->data() + bytes.size, size - bytes.size);
    if (k == 0) break;
    bytes.size += k;
  }
  return bytes;
}

std::unique_ptr<ByteSource> make_fast_inflate_source(std::unique_ptr<ByteSource> compressed, Compression compression,
                                                     std::uint64_t limit, std::size_t buffer_size,
                                                     const std::string& name) {
  const std::optional<std::uint64_t> size = compressed->size();
  if (limit == 0 || !size || *size > limit) {
    return make_inflate_source(std::move(compressed), compression, buffer_size, name);
  }
  OwnedBytes packed = read_whole(*compressed, static_cast<std::size_t>(*size));
  if (std::optional<OwnedBytes> plain = inflate_whole(packed.span(), compression, limit)) {
    return make_memory_source(plain->storage, plain->span());
  }
  return make_inflate_source(make_memory_source(packed.storage, packed.span()), compression, buffer_size, name);
}

}  // namespace spool::data::detail
