// EXIF orientation: reading the tag from a JPEG's APP1 segment, and applying it.
//
//   int o = exif_orientation(app1_payload);        // 1..8; 1 when absent or malformed
//   Tensor upright = apply_exif_orientation(image, o);
//
// The payload is the APP1 segment after its length: "Exif\0\0", then a TIFF header
// (byte order "II" or "MM", 42, offset of IFD0), then IFD0's entries; the Orientation
// tag is 0x0112 (SHORT). Every offset is checked against the payload, so any bytes
// are safe to pass. Orientation values (as the TIFF spec, seen from the stored image):
// 1 as is, 2 mirrored left-right, 3 rotated 180, 4 mirrored top-bottom, 5 transposed,
// 6 needs 90 degrees clockwise, 7 transversed, 8 needs 90 degrees counter-clockwise.
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <span>

#include "spool/tensor/tensor.h"

namespace spool::data {

int exif_orientation(std::span<const std::uint8_t> app1);

// [H, W, C] of any dtype -> the upright [H', W', C] (sides swapped for 5..8). Throws
// InvalidArgument for an orientation outside 1..8 or an image that is not rank 3.
Tensor apply_exif_orientation(const Tensor& image, int orientation);

}  // namespace spool::data
