// Writers for the image tests: PNG and JPEG files made with libpng and libjpeg
// directly (not with Spool's encoders), so the decoders are checked against an
// independent producer. Test inputs are valid, so the libraries' default error
// handlers (which abort) are never reached.
#pragma once

#include <png.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <jpeglib.h>

#include "spool/tensor/error.h"

namespace spool::testing {

// A PNG as libpng writes it. `samples` holds height * width * channels values of
// `bit_depth` bits (palette indices for PNG_COLOR_TYPE_PALETTE), row-major.
struct PngSpec {
  int width = 13;
  int height = 7;
  int color_type = PNG_COLOR_TYPE_RGB;
  int bit_depth = 8;
  bool interlaced = false;
  std::vector<std::uint16_t> samples;
  std::vector<png_color> palette;
  std::vector<png_byte> trns_alpha;  // palette tRNS: alpha per palette entry
  int trns_gray = -1;                // gray tRNS: the transparent gray value
};

inline int png_channels(int color_type) {
  switch (color_type) {
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return 1;
  }
}

inline std::string write_png(const PngSpec& spec) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, std::size_t n) {
        static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<const char*>(data), n);
      },
      [](png_structp) {});
  png_set_IHDR(png, info, spec.width, spec.height, spec.bit_depth, spec.color_type,
               spec.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!spec.palette.empty()) png_set_PLTE(png, info, spec.palette.data(), static_cast<int>(spec.palette.size()));
  if (!spec.trns_alpha.empty()) {
    png_set_tRNS(png, info, spec.trns_alpha.data(), static_cast<int>(spec.trns_alpha.size()), nullptr);
  }
  if (spec.trns_gray >= 0) {
    png_color_16 color{};
    color.gray = static_cast<png_uint_16>(spec.trns_gray);
    png_set_tRNS(png, info, nullptr, 0, &color);
  }
  png_write_info(png, info);
  // Rows in the file's own packing: MSB-first below 8 bits, big-endian at 16.
  const int channels = png_channels(spec.color_type);
  const std::size_t rowbytes = (static_cast<std::size_t>(spec.width) * channels * spec.bit_depth + 7) / 8;
  std::vector<png_byte> data(rowbytes * spec.height, 0);
  std::vector<png_bytep> rows;
  for (int y = 0; y < spec.height; ++y) {
    png_bytep row = data.data() + y * rowbytes;
    rows.push_back(row);
    for (int i = 0; i < spec.width * channels; ++i) {
      const std::uint16_t v = spec.samples[static_cast<std::size_t>(y) * spec.width * channels + i];
      if (spec.bit_depth == 16) {
        row[2 * i] = static_cast<png_byte>(v >> 8);
        row[2 * i + 1] = static_cast<png_byte>(v & 0xff);
      } else if (spec.bit_depth == 8) {
        row[i] = static_cast<png_byte>(v);
      } else {
        const int bit = i * spec.bit_depth;
        row[bit / 8] |= static_cast<png_byte>(v << (8 - spec.bit_depth - bit % 8));
      }
    }
  }
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// A JPEG as libjpeg writes it from interleaved samples in `in_space`.
struct JpegSpec {
  int width = 64;
  int height = 48;
  int components = 3;
  J_COLOR_SPACE in_space = JCS_RGB;
  J_COLOR_SPACE jpeg_space = JCS_UNKNOWN;  // libjpeg's default for in_space when unknown
  int quality = 95;
  bool progressive = false;
  bool write_adobe_marker = true;  // libjpeg's default for CMYK/YCCK
  std::string app1;                // written as an APP1 segment when not empty
  std::vector<std::uint8_t> samples;
};

inline std::string write_jpeg(const JpegSpec& spec) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(spec.width);
  cinfo.image_height = static_cast<JDIMENSION>(spec.height);
  cinfo.input_components = spec.components;
  cinfo.in_color_space = spec.in_space;
  jpeg_set_defaults(&cinfo);
  if (spec.jpeg_space != JCS_UNKNOWN) jpeg_set_colorspace(&cinfo, spec.jpeg_space);
  jpeg_set_quality(&cinfo, spec.quality, TRUE);
  cinfo.write_Adobe_marker = spec.write_adobe_marker ? TRUE : FALSE;
  if (spec.progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  if (!spec.app1.empty()) {
    jpeg_write_marker(&cinfo, JPEG_APP0 + 1, reinterpret_cast<const JOCTET*>(spec.app1.data()),
                      static_cast<unsigned int>(spec.app1.size()));
  }
  const std::size_t stride = static_cast<std::size_t>(spec.width) * spec.components;
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<std::uint8_t*>(spec.samples.data() + cinfo.next_scanline * stride);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::string out(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  return out;
}

// decode(bytes, source) must throw a DataLossError whose message quotes the source.
template <typename Decode>
void expect_data_loss(Decode decode, const std::string& bytes, const std::string& source, const std::string& what) {
  try {
    decode(bytes, source);
    ADD_FAILURE() << what << ": decoded without error";
  } catch (const DataLossError& e) {
    EXPECT_NE(std::string(e.what()).find("'" + source + "'"), std::string::npos) << what << ": " << e.what();
  }
}

// A smooth test picture (JPEG keeps it well): gradients, no edges.
inline std::vector<std::uint8_t> smooth_pixels(int height, int width, int channels) {
  std::vector<std::uint8_t> out;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) {
        const int v = x * 160 / width + y * 60 / height + c * 10;
        out.push_back(static_cast<std::uint8_t>(v));
      }
    }
  }
  return out;
}

}  // namespace spool::testing
