#include "spool/data/image/exif.h"

#include <cstring>
#include <string_view>

#include "spool/tensor/error.h"

namespace spool::data {
namespace {

// Reads TIFF integers in the file's byte order; every read is bounds-checked.
class TiffReader {
 public:
  TiffReader(std::span<const std::uint8_t> tiff, bool big_endian) : tiff_(tiff), big_endian_(big_endian) {}
  bool u16(std::size_t at, std::uint32_t* out) const {
    if (at > tiff_.size() || tiff_.size() - at < 2) return false;
    const std::uint32_t a = tiff_[at], b = tiff_[at + 1];
    *out = big_endian_ ? (a << 8 | b) : (b << 8 | a);
    return true;
  }
  bool u32(std::size_t at, std::uint32_t* out) const {
    std::uint32_t hi = 0, lo = 0;
    if (!u16(at, big_endian_ ? &hi : &lo) || !u16(at + 2, big_endian_ ? &lo : &hi)) return false;
    *out = hi << 16 | lo;
    return true;
  }

 private:
  std::span<const std::uint8_t> tiff_;
  bool big_endian_;
};

}  // namespace

int exif_orientation(std::span<const std::uint8_t> app1) {
  constexpr std::string_view kExif("Exif\0\0", 6);
  if (app1.size() < kExif.size() + 8 || std::memcmp(app1.data(), kExif.data(), kExif.size()) != 0) return 1;
  const std::span<const std::uint8_t> tiff = app1.subspan(kExif.size());
  const bool big = tiff[0] == 'M' && tiff[1] == 'M';
  if (!big && !(tiff[0] == 'I' && tiff[1] == 'I')) return 1;
  const TiffReader in(tiff, big);
  std::uint32_t magic = 0, ifd = 0, count = 0;
  if (!in.u16(2, &magic) || magic != 42 || !in.u32(4, &ifd) || !in.u16(ifd, &count)) return 1;
  for (std::uint32_t i = 0; i < count; ++i) {  // count <= 65535 and every read is checked
    const std::size_t entry = std::size_t{ifd} + 2 + 12 * std::size_t{i};
    std::uint32_t tag = 0, type = 0, n = 0, value = 0;
    if (!in.u16(entry, &tag) || !in.u16(entry + 2, &type) || !in.u32(entry + 4, &n)) return 1;
    if (tag != 0x0112) continue;
    if (type != 3 || n != 1 || !in.u16(entry + 8, &value)) return 1;  // SHORT, one value
    return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
  }
  return 1;
}

Tensor apply_exif_orientation(const Tensor& image, int orientation) {
  SPOOL_CHECK(orientation >= 1 && orientation <= 8, InvalidArgument, "apply_exif_orientation: orientation ",
              orientation, " is not in 1..8");
  SPOOL_CHECK(image.rank() == 3, InvalidArgument, "apply_exif_orientation: image must be [height, width, channels], got ",
              image.shape().to_string());
  if (orientation == 1) return image;
  const Tensor in = image.contiguous();
  const std::int64_t h = in.dim(0), w = in.dim(1);
  const bool swap = orientation >= 5;
  const std::int64_t out_h = swap ? w : h, out_w = swap ? h : w;
  Tensor out = Tensor::empty(Shape{out_h, out_w, in.dim(2)}, in.dtype());
  const std::size_t pixel = static_cast<std::size_t>(in.dim(2)) * in.element_size();
  const auto* src = static_cast<const std::uint8_t*>(in.raw_data());
  auto* dst = static_cast<std::uint8_t*>(out.raw_data());
  for (std::int64_t r = 0; r < out_h; ++r) {
    for (std::int64_t c = 0; c < out_w; ++c) {
      std::int64_t y = r, x = c;  // the stored pixel shown at (r, c)
      switch (orientation) {
        case 2: x = w - 1 - c; break;
        case 3: y = h - 1 - r, x = w - 1 - c; break;
        case 4: y = h - 1 - r; break;
        case 5: y = c, x = r; break;
        case 6: y = h - 1 - c, x = r; break;
        case 7: y = h - 1 - c, x = w - 1 - r; break;
        case 8: y = c, x = w - 1 - r; break;
        default: break;
      }
      std::memcpy(dst + (r * out_w + c) * pixel, src + (y * w + x) * pixel, pixel);
    }
  }
  return out;
}

}  // namespace spool::data
