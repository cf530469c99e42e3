// libpng reports errors by longjmp. Each call into libpng that may fail runs inside a
// small "phase" function that holds the setjmp and no C++ object with a destructor;
// every state those phases share lives in a plain struct owned by the caller, and the
// caller, which has no setjmp, turns a failed phase into a spool exception and frees
// libpng's structs with an RAII guard.
#include <png.h>  // first: it includes setjmp.h the way it wants

#include "spool/data/image/png.h"

#include <bit>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "spool/tensor/error.h"

namespace spool::data {
namespace {

constexpr int kMessageSize = 200;

// What the read phases and libpng's callbacks share. Plain data: a longjmp may cross it.
struct PngRead {
  png_structp png = nullptr;
  png_infop info = nullptr;
  const unsigned char* data = nullptr;
  std::size_t size = 0;
  std::size_t offset = 0;
  char message[kMessageSize] = {};
  // Wanted output: channels (0 = as stored) and 16-bit rows.
  int want_channels = 0;
  bool want_16 = false;
  // From the header, then from the transforms.
  png_uint_32 width = 0;
  png_uint_32 height = 0;
  int bit_depth = 0;
  int color_type = 0;
  bool has_trns = false;
  int channels = 0;
  std::size_t rowbytes = 0;
};

void on_error(png_structp png, png_const_charp message) {
  auto* read = static_cast<PngRead*>(png_get_error_ptr(png));
  std::snprintf(read->message, kMessageSize, "%s", message);
  png_longjmp(png, 1);
}

// libpng's warnings are about things it recovers from exactly (unknown ancillary
// chunks, sRGB profile notes); data it cannot trust is an error.
void on_warning(png_structp, png_const_charp) {}

void on_read(png_structp png, png_bytep out, std::size_t n) {
  auto* read = static_cast<PngRead*>(png_get_io_ptr(png));
  if (n > read->size - read->offset) {
    char message[kMessageSize];
    std::snprintf(message, kMessageSize, "unexpected end of data: %zu bytes needed at offset %zu of %zu", n,
                  read->offset, read->size);
    png_error(png, message);
  }
  std::memcpy(out, read->data + read->offset, n);
  read->offset += n;
}

// Phase 1: the header, up to the first IDAT. libpng allocates nothing that grows
// with the image size before png_read_update_info.
bool png_read_header(PngRead* r) {
  if (setjmp(png_jmpbuf(r->png))) return false;
  png_set_user_limits(r->png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);  // our limits decide
  // A bad CRC on an ancillary chunk is an error too: libpng's default drops the chunk
  // with a warning, and a dropped tRNS silently changes the channels decoded.
  png_set_crc_action(r->png, PNG_CRC_DEFAULT, PNG_CRC_ERROR_QUIT);
  png_set_read_fn(r->png, r, on_read);
  png_read_info(r->png, r->info);
  png_get_IHDR(r->png, r->info, &r->width, &r->height, &r->bit_depth, &r->color_type, nullptr, nullptr, nullptr);
  r->has_trns = png_get_valid(r->png, r->info, PNG_INFO_tRNS) != 0;
  const bool palette = r->color_type == PNG_COLOR_TYPE_PALETTE;
  r->channels = r->want_channels != 0 ? r->want_channels
                : palette             ? (r->has_trns ? 4 : 3)
                                      : png_get_channels(r->png, r->info);
  return true;
}

// Phase 2: the transforms TensorFlow's decode_png applies to reach the wanted channels
// and depth. png_read_update_info allocates rows: call it only after the size check.
bool png_set_transforms(PngRead* r) {
  if (setjmp(png_jmpbuf(r->png))) return false;
  const bool palette = r->color_type == PNG_COLOR_TYPE_PALETTE;
  const bool has_alpha = (r->color_type & PNG_COLOR_MASK_ALPHA) != 0;
  if (r->channels % 2 == 0) {
    if (!has_alpha && r->has_trns) png_set_tRNS_to_alpha(r->png);
    if (!has_alpha && !r->has_trns) png_set_add_alpha(r->png, 0xffff, PNG_FILLER_AFTER);  // opaque at any depth
  } else if (has_alpha || r->has_trns) {
    png_set_strip_alpha(r->png);
  }
  if (r->bit_depth == 16 && !r->want_16) png_set_strip_16(r->png);
  if (r->bit_depth == 16 && r->want_16 && std::endian::native == std::endian::little) png_set_swap(r->png);
  png_set_packing(r->png);
  png_set_interlace_handling(r->png);
  if (palette) png_set_palette_to_rgb(r->png);
  const bool is_gray = (r->color_type & PNG_COLOR_MASK_COLOR) == 0;
  if (is_gray && r->bit_depth < 8) png_set_expand_gray_1_2_4_to_8(r->png);
  if (r->channels < 3 && !is_gray) png_set_rgb_to_gray_fixed(r->png, 1, 29900, 58700);  // TF's 0.299, 0.587
  if (r->channels >= 3 && is_gray) png_set_gray_to_rgb(r->png);
  png_read_update_info(r->png, r->info);
  r->rowbytes = png_get_rowbytes(r->png, r->info);
  return true;
}

// Phase 3: every pass of every row, then the chunks up to IEND.
bool png_read_rows(PngRead* r, png_bytepp rows) {
  if (setjmp(png_jmpbuf(r->png))) return false;
  png_read_image(r->png, rows);
  png_read_end(r->png, nullptr);
  return true;
}

// Owns libpng's read structs; frees them however the decode ends.
class PngReader {
 public:
  PngReader(std::string_view bytes, std::string_view source) : source_(source) {
    r_.data = reinterpret_cast<const unsigned char*>(bytes.data());
    r_.size = bytes.size();
    r_.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r_, on_error, on_warning);
    if (r_.png != nullptr) r_.info = png_create_info_struct(r_.png);
    if (r_.png == nullptr || r_.info == nullptr) {
      png_destroy_read_struct(&r_.png, &r_.info, nullptr);  // the destructor will not run
      SPOOL_THROW(InternalError, "png: cannot create libpng structs for ", spool::quoted(source_));
    }
  }
  ~PngReader() { png_destroy_read_struct(&r_.png, &r_.info, nullptr); }
  PngReader(const PngReader&) = delete;
  PngReader& operator=(const PngReader&) = delete;

  PngRead& state() { return r_; }
  void check(bool ok) const {
    SPOOL_CHECK(ok, DataLossError, "png: corrupt or truncated image in ", spool::quoted(source_), ": ", r_.message);
  }

 private:
  PngRead r_;
  std::string source_;
};

std::vector<png_bytep> row_pointers(void* base, std::size_t rowbytes, std::int64_t height) {
  std::vector<png_bytep> rows(static_cast<std::size_t>(height));
  for (std::size_t y = 0; y < rows.size(); ++y) rows[y] = static_cast<png_bytep>(base) + y * rowbytes;
  return rows;
}

// What the encoder's phase and libpng's write callback share.
struct PngWrite {
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::string* out = nullptr;
  char message[kMessageSize] = {};
};

void on_write_error(png_structp png, png_const_charp message) {
  auto* write = static_cast<PngWrite*>(png_get_error_ptr(png));
  std::snprintf(write->message, kMessageSize, "%s", message);
  png_longjmp(png, 1);
}

void on_write(png_structp png, png_bytep data, std::size_t n) {
  auto* write = static_cast<PngWrite*>(png_get_io_ptr(png));
  bool failed = false;
  try {
    write->out->append(reinterpret_cast<const char*>(data), n);
  } catch (...) {  // no exception may cross libpng's C frames
    failed = true;
  }
  if (failed) png_error(png, "out of memory");
}

void on_flush(png_structp) {}

bool png_write_all(PngWrite* w, png_bytepp rows, png_uint_32 height, png_uint_32 width, int bit_depth,
                   int color_type, int level) {
  if (setjmp(png_jmpbuf(w->png))) return false;
  png_set_write_fn(w->png, w, on_write, on_flush);
  png_set_compression_level(w->png, level);
  png_set_IHDR(w->png, w->info, width, height, bit_depth, color_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(w->png, w->info);
  if (bit_depth == 16 && std::endian::native == std::endian::little) png_set_swap(w->png);
  png_write_image(w->png, rows);
  png_write_end(w->png, nullptr);
  return true;
}

}  // namespace

ImageInfo read_png_info(std::string_view bytes, std::string_view source) {
  PngReader reader(bytes, source);
  PngRead& r = reader.state();
  reader.check(png_read_header(&r));
  const bool palette = r.color_type == PNG_COLOR_TYPE_PALETTE;
  return ImageInfo{ImageFormat::kPng, r.height, r.width, palette ? (r.has_trns ? 4 : 3) : png_get_channels(r.png, r.info),
                   r.bit_depth, 1};
}

Tensor decode_png(std::string_view bytes, std::string_view source, const DecodeOptions& options) {
  PngReader reader(bytes, source);
  PngRead& r = reader.state();
  r.want_channels = options.channels();
  r.want_16 = options.dtype() == DType::kI32;
  reader.check(png_read_header(&r));
  const std::int64_t height = r.height;
  const std::int64_t width = r.width;
  detail::check_image_size(height, width, options, "png", source);
  reader.check(png_set_transforms(&r));
  const int depth = r.want_16 && r.bit_depth == 16 ? 2 : 1;  // bytes per output sample
  SPOOL_CHECK(r.rowbytes == static_cast<std::size_t>(width) * r.channels * depth, InternalError, "png: ",
              spool::quoted(std::string(source)), ": libpng rows of ", r.rowbytes, " bytes, expected ",
              width * r.channels * depth);

  const Shape shape{height, width, r.channels};
  if (depth == 1) {
    Tensor image = Tensor::empty(shape, DType::kU8);
    std::vector<png_bytep> rows = row_pointers(image.raw_data(), r.rowbytes, height);
    reader.check(png_read_rows(&r, rows.data()));
    return r.want_16 ? detail::widen_to_16_bit(image) : image;
  }
  // Not zero-filled: as in the u8 path, a page becomes resident only when libpng
  // writes a row into it, so a header that promises more rows than the data holds
  // costs the rows it delivered, not the promise.
  const auto n = static_cast<std::size_t>(shape.numel());
  const auto samples = std::make_unique_for_overwrite<std::uint16_t[]>(n);
  std::vector<png_bytep> rows = row_pointers(samples.get(), r.rowbytes, height);
  reader.check(png_read_rows(&r, rows.data()));
  Tensor image = Tensor::empty(shape, DType::kI32);
  std::int32_t* out = image.data<std::int32_t>();
  for (std::size_t i = 0; i < n; ++i) out[i] = samples[i];
  return image;
}

std::string encode_png(const Tensor& image, int compression_level) {
  SPOOL_CHECK(image.rank() == 3 && image.dim(2) >= 1 && image.dim(2) <= 4, InvalidArgument,
              "encode_png: image must be [height, width, channels] with 1 to 4 channels, got ", image.shape().to_string());
  SPOOL_CHECK(image.dtype() == DType::kU8 || image.dtype() == DType::kI32, InvalidArgument,
              "encode_png: image must be u8 (8-bit PNG) or i32 (16-bit PNG), got ", dtype_name(image.dtype()));
  SPOOL_CHECK(compression_level >= -1 && compression_level <= 9, InvalidArgument,
              "encode_png: compression level ", compression_level, " is not in [-1, 9]");
  const std::int64_t height = image.dim(0);
  const std::int64_t width = image.dim(1);
  const int channels = static_cast<int>(image.dim(2));
  SPOOL_CHECK(height >= 1 && width >= 1 && height <= PNG_UINT_31_MAX && width <= PNG_UINT_31_MAX, InvalidArgument,
              "encode_png: cannot encode an image of shape ", image.shape().to_string());

  const Tensor contiguous = image.contiguous();
  std::vector<std::uint16_t> wide;
  void* pixels = contiguous.raw_data();
  int bit_depth = 8;
  if (image.dtype() == DType::kI32) {
    const std::int32_t* in = contiguous.data<std::int32_t>();
    wide.resize(static_cast<std::size_t>(contiguous.numel()));
    for (std::size_t i = 0; i < wide.size(); ++i) {
      SPOOL_CHECK(in[i] >= 0 && in[i] <= 65535, InvalidArgument, "encode_png: i32 sample ", in[i],
                  " at element ", i, " is not a 16-bit value in [0, 65535]");
      wide[i] = static_cast<std::uint16_t>(in[i]);
    }
    pixels = wide.data();
    bit_depth = 16;
  }
  static constexpr int kColorTypes[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                        PNG_COLOR_TYPE_RGB_ALPHA};
  std::vector<png_bytep> rows = row_pointers(pixels, static_cast<std::size_t>(width) * channels * bit_depth / 8, height);

  std::string out;
  PngWrite w;
  w.out = &out;
  w.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w, on_write_error, on_warning);
  if (w.png != nullptr) w.info = png_create_info_struct(w.png);
  const bool ok = w.png != nullptr && w.info != nullptr &&
                  png_write_all(&w, rows.data(), static_cast<png_uint_32>(height), static_cast<png_uint_32>(width),
                                bit_depth, kColorTypes[channels - 1], compression_level);
  png_destroy_write_struct(&w.png, &w.info);
  SPOOL_CHECK(ok, InternalError, "encode_png: libpng failed on a ", image.shape().to_string(), " image: ", w.message);
  return out;
}

}  // namespace spool::data
