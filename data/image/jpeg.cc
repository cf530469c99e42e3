// libjpeg reports errors through error_exit, which must not return. Ours longjmps back
// into the small "phase" function that called libjpeg; phases hold the setjmp and no
// C++ object with a destructor, and all their state lives in a plain struct owned by
// the caller. The caller (no setjmp) turns a failed phase into a spool exception and
// destroys libjpeg's struct with an RAII guard. No exception ever crosses libjpeg.
#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE
#include <cstdlib>

#include <jpeglib.h>
// after jpeglib.h: its message list depends on jconfig.h
#include <jerror.h>

#include "spool/data/image/jpeg.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include "spool/data/image/exif.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

// Shared by the decoder and the encoder through cinfo.client_data.
struct JpegErrorState {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};
  int code = 0;
};

[[noreturn]] void on_error_exit(j_common_ptr cinfo) {
  auto* state = static_cast<JpegErrorState*>(cinfo->client_data);
  (*cinfo->err->format_message)(cinfo, state->message);
  state->code = cinfo->err->msg_code;
  std::longjmp(state->jump, 1);
}

// libjpeg only warns when the data ends early or is corrupt, and then fills the rest
// of the image with gray: for us those warnings are errors. Warnings about metadata
// (JFIF version, Adobe transform code, ICC segments, stray bytes between markers)
// leave the pixels exact and are ignored.
void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace messages
  switch (cinfo->err->msg_code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
    case JWRN_MUST_RESYNC:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE:
    case JWRN_BOGUS_PROGRESSION:
    case JWRN_NOT_SEQUENTIAL:
      on_error_exit(cinfo);
    default:
      return;
  }
}

void init_errors(JpegErrorState* state) {
  jpeg_std_error(&state->mgr);
  state->mgr.error_exit = on_error_exit;
  state->mgr.emit_message = on_message;
}

// What the decoding phases share. Plain data: a longjmp may cross it.
struct JpegRead {
  jpeg_decompress_struct cinfo;
  JpegErrorState err;
  bool created = false;
};

bool jpeg_phase_header(JpegRead* r, const unsigned char* data, std::size_t size) {
  if (setjmp(r->err.jump)) return false;
  jpeg_create_decompress(&r->cinfo);
  r->created = true;
  jpeg_mem_src(&r->cinfo, data, static_cast<unsigned long>(size));
  jpeg_save_markers(&r->cinfo, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&r->cinfo, TRUE);
  return true;
}

bool jpeg_phase_dimensions(JpegRead* r) {
  if (setjmp(r->err.jump)) return false;
  jpeg_calc_output_dimensions(&r->cinfo);
  return true;
}

// CMYK as libjpeg gives it (YCCK already turned into CMYK) -> RGB, TensorFlow's way.
// Adobe applications store the inks inverted (255 = no ink).
void cmyk_to_rgb(const std::uint8_t* cmyk, std::uint8_t* rgb, JDIMENSION width, bool inverted) {
  for (JDIMENSION x = 0; x < width; ++x, cmyk += 4, rgb += 3) {
    const int k = cmyk[3];
    for (int i = 0; i < 3; ++i) {
      const int v = cmyk[i];
      rgb[i] = static_cast<std::uint8_t>(inverted ? k * v / 255 : (255 - k) * (255 - v) / 255);
    }
  }
}

bool no_scanline(JpegRead* r) {
  std::snprintf(r->err.message, JMSG_LENGTH_MAX, "libjpeg returned no scanline at row %u of %u",
                r->cinfo.output_scanline, r->cinfo.output_height);
  return false;
}

// Decodes every scanline into `out` (rows of `stride` bytes); a CMYK source goes
// through `cmyk_row` (4 * width bytes) and lands as RGB.
bool jpeg_phase_pixels(JpegRead* r, std::uint8_t* out, std::size_t stride, std::uint8_t* cmyk_row) {
  if (setjmp(r->err.jump)) return false;
  jpeg_decompress_struct& cinfo = r->cinfo;
  jpeg_start_decompress(&cinfo);
  while (cinfo.output_scanline < cinfo.output_height) {
    if (cmyk_row != nullptr) {
      JSAMPROW row = cmyk_row;
      const JDIMENSION y = cinfo.output_scanline;
      if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) return no_scanline(r);
      cmyk_to_rgb(cmyk_row, out + y * stride, cinfo.output_width, cinfo.saw_Adobe_marker);
      continue;
    }
    constexpr JDIMENSION kRows = 16;
    JSAMPROW rows[kRows];
    const JDIMENSION n = std::min(kRows, cinfo.output_height - cinfo.output_scanline);
    for (JDIMENSION i = 0; i < n; ++i) rows[i] = out + (cinfo.output_scanline + i) * stride;
    if (jpeg_read_scanlines(&cinfo, rows, n) == 0) return no_scanline(r);
  }
  jpeg_finish_decompress(&cinfo);
  return true;
}

// Owns libjpeg's decompressor; destroys it however the decode ends.
class JpegReader {
 public:
  JpegReader(std::string_view bytes, std::string_view source) : source_(source) {
    init_errors(&r_.err);
    r_.cinfo.err = &r_.err.mgr;
    r_.cinfo.client_data = &r_.err;
    check(jpeg_phase_header(&r_, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
  }
  ~JpegReader() {
    if (r_.created) jpeg_destroy_decompress(&r_.cinfo);
  }
  JpegReader(const JpegReader&) = delete;
  JpegReader& operator=(const JpegReader&) = delete;

  JpegRead& state() { return r_; }
  void check(bool ok) {
    if (ok) return;
    // JPEG defines sample precisions of 2 to 16 bits (8 and 12 for DCT images, 2-16
    // lossless); this libjpeg decodes 8. Another valid one is unimplemented, anything
    // else is a damaged header.
    const int precision = r_.cinfo.data_precision;
    const bool valid_precision = precision >= 2 && precision <= 16;
    // The destructor of a half-constructed reader does not run: clean up here too.
    if (r_.created) jpeg_destroy_decompress(&r_.cinfo);
    r_.created = false;
    if ((r_.err.code == JERR_BAD_PRECISION && valid_precision) || r_.err.code == JERR_CONVERSION_NOTIMPL) {
      SPOOL_THROW(Unimplemented, "jpeg: cannot decode ", spool::quoted(source_), ": ", r_.err.message);
    }
    SPOOL_THROW(DataLossError, "jpeg: corrupt or truncated image in ", spool::quoted(source_), ": ", r_.err.message);
  }
  // The Exif orientation of the saved APP1 segments, 1 when there is none.
  int orientation() const {
    for (jpeg_saved_marker_ptr m = r_.cinfo.marker_list; m != nullptr; m = m->next) {
      if (m->marker != JPEG_APP0 + 1) continue;
      const int o = exif_orientation(std::span<const std::uint8_t>(m->data, m->data_length));
      if (o != 1) return o;
    }
    return 1;
  }

 private:
  JpegRead r_;
  std::string source_;
};

bool is_cmyk(const jpeg_decompress_struct& cinfo) {
  return cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
}

// Gray from RGB with the luma weights JPEG itself uses (ITU-R BT.601).
Tensor rgb_to_gray(const Tensor& rgb) {
  Tensor gray = Tensor::empty(Shape{rgb.dim(0), rgb.dim(1), 1}, DType::kU8);
  const std::uint8_t* in = rgb.data<std::uint8_t>();
  std::uint8_t* out = gray.data<std::uint8_t>();
  for (std::int64_t i = 0; i < gray.numel(); ++i, in += 3) {
    out[i] = static_cast<std::uint8_t>((19595 * in[0] + 38470 * in[1] + 7471 * in[2] + 32768) >> 16);
  }
  return gray;
}

Tensor add_opaque_alpha(const Tensor& rgb) {
  Tensor rgba = Tensor::empty(Shape{rgb.dim(0), rgb.dim(1), 4}, DType::kU8);
  const std::uint8_t* in = rgb.data<std::uint8_t>();
  std::uint8_t* out = rgba.data<std::uint8_t>();
  for (std::int64_t i = 0; i < rgb.numel() / 3; ++i, in += 3, out += 4) {
    std::memcpy(out, in, 3);
    out[3] = 255;
  }
  return rgba;
}

// What the encoder's phase shares.
struct JpegWrite {
  jpeg_compress_struct cinfo;
  JpegErrorState err;
  bool created = false;
  unsigned char* buffer = nullptr;  // malloc'ed by jpeg_mem_dest
  unsigned long size = 0;
};

bool jpeg_phase_encode(JpegWrite* w, const std::uint8_t* pixels, JDIMENSION height, JDIMENSION width, int channels,
                       int quality) {
  if (setjmp(w->err.jump)) return false;
  jpeg_create_compress(&w->cinfo);
  w->created = true;
  jpeg_mem_dest(&w->cinfo, &w->buffer, &w->size);
  w->cinfo.image_width = width;
  w->cinfo.image_height = height;
  w->cinfo.input_components = channels;
  w->cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&w->cinfo);
  jpeg_set_quality(&w->cinfo, quality, TRUE);
  jpeg_start_compress(&w->cinfo, TRUE);
  const std::size_t stride = std::size_t{width} * channels;
  while (w->cinfo.next_scanline < height) {
    JSAMPROW row = const_cast<std::uint8_t*>(pixels + w->cinfo.next_scanline * stride);  // libjpeg only reads
    jpeg_write_scanlines(&w->cinfo, &row, 1);
  }
  jpeg_finish_compress(&w->cinfo);
  return true;
}

}  // namespace

ImageInfo read_jpeg_info(std::string_view bytes, std::string_view source) {
  JpegReader reader(bytes, source);
  const jpeg_decompress_struct& cinfo = reader.state().cinfo;
  return ImageInfo{ImageFormat::kJpeg, cinfo.image_height, cinfo.image_width, cinfo.num_components,
                   cinfo.data_precision, reader.orientation()};
}

Tensor decode_jpeg(std::string_view bytes, std::string_view source, const DecodeOptions& options) {
  JpegReader reader(bytes, source);
  JpegRead& r = reader.state();
  jpeg_decompress_struct& cinfo = r.cinfo;
  // libjpeg's own buffers grow with the stored size (a progressive file keeps all its
  // coefficients), so the stored size is what the limits bound.
  detail::check_image_size(cinfo.image_height, cinfo.image_width, options, "jpeg", source);
  // Read now: the saved markers are freed when decompression finishes.
  const int orientation = options.apply_exif_orientation() ? reader.orientation() : 1;

  const bool cmyk = is_cmyk(cinfo);
  const int stored = cinfo.num_components == 1 ? 1 : 3;
  const int channels = options.channels() == 0 ? stored : options.channels();
  if (cmyk) {
    cinfo.out_color_space = JCS_CMYK;
  } else {
    cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : channels == 3 ? JCS_RGB : JCS_EXT_RGBA;
  }
  cinfo.scale_num = 1;
  cinfo.scale_denom = static_cast<unsigned int>(options.ratio());
  cinfo.dct_method = options.dct_method() == DctMethod::kIntegerFast ? JDCT_IFAST
                     : options.dct_method() == DctMethod::kFloat     ? JDCT_FLOAT
                                                                     : JDCT_ISLOW;
  reader.check(jpeg_phase_dimensions(&r));

  const int decoded = cmyk ? 3 : channels;  // CMYK lands as RGB, converted below
  Tensor image = Tensor::empty(Shape{cinfo.output_height, cinfo.output_width, decoded}, DType::kU8);
  SPOOL_CHECK(cinfo.output_components == (cmyk ? 4 : decoded), InternalError, "jpeg: ", spool::quoted(std::string(source)),
              ": libjpeg gives ", cinfo.output_components, " components, expected ", cmyk ? 4 : decoded);
  std::string cmyk_row(cmyk ? std::size_t{cinfo.output_width} * 4 : 0, '\0');
  reader.check(jpeg_phase_pixels(&r, image.data<std::uint8_t>(), std::size_t{cinfo.output_width} * decoded,
                                 cmyk ? reinterpret_cast<std::uint8_t*>(cmyk_row.data()) : nullptr));
  if (cmyk && channels == 1) image = rgb_to_gray(image);
  if (cmyk && channels == 4) image = add_opaque_alpha(image);
  image = apply_exif_orientation(image, orientation);
  return options.dtype() == DType::kI32 ? detail::widen_to_16_bit(image) : image;
}

int jpeg_ratio_for(std::int64_t height, std::int64_t width, std::int64_t min_height, std::int64_t min_width) {
  SPOOL_CHECK(height >= 1 && width >= 1 && min_height >= 0 && min_width >= 0, InvalidArgument,
              "jpeg_ratio_for: bad sizes: image ", height, "x", width, ", target ", min_height, "x", min_width);
  for (int ratio : {8, 4, 2}) {
    if ((height + ratio - 1) / ratio >= min_height && (width + ratio - 1) / ratio >= min_width) return ratio;
  }
  return 1;
}

std::string encode_jpeg(const Tensor& image, int quality) {
  SPOOL_CHECK(image.rank() == 3 && (image.dim(2) == 1 || image.dim(2) == 3) && image.dtype() == DType::kU8,
              InvalidArgument, "encode_jpeg: image must be u8 [height, width, 1 or 3], got ", dtype_name(image.dtype()),
              image.shape().to_string());
  SPOOL_CHECK(quality >= 1 && quality <= 100, InvalidArgument, "encode_jpeg: quality ", quality, " is not in [1, 100]");
  SPOOL_CHECK(image.dim(0) >= 1 && image.dim(1) >= 1 && image.dim(0) <= JPEG_MAX_DIMENSION &&
                  image.dim(1) <= JPEG_MAX_DIMENSION,
              InvalidArgument, "encode_jpeg: JPEG sides are 1 to ", JPEG_MAX_DIMENSION, ", got ",
              image.shape().to_string());
  const Tensor pixels = image.contiguous();
  JpegWrite w;
  init_errors(&w.err);
  w.cinfo.err = &w.err.mgr;
  w.cinfo.client_data = &w.err;
  const bool ok = jpeg_phase_encode(&w, pixels.data<std::uint8_t>(), static_cast<JDIMENSION>(image.dim(0)),
                                    static_cast<JDIMENSION>(image.dim(1)), static_cast<int>(image.dim(2)), quality);
  if (w.created) jpeg_destroy_compress(&w.cinfo);
  const std::unique_ptr<unsigned char, decltype(&std::free)> buffer(w.buffer, &std::free);
  SPOOL_CHECK(ok, InternalError, "encode_jpeg: libjpeg failed on a ", image.shape().to_string(), " image: ",
              w.err.message);
  return std::string(reinterpret_cast<const char*>(buffer.get()), w.size);
}

}  // namespace spool::data
