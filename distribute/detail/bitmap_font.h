// A 5x7 bitmap font for plot labels: digits, lower-case letters and the punctuation
// numbers and axis titles use. Each glyph is 7 rows; bit 4 of a row is its left pixel.
#pragma once

#include <array>
#include <cstdint>

namespace spool::distribute::detail {

using Glyph = std::array<std::uint8_t, 7>;

// The glyph for `c` (lower-case letters, digits, " .,-+:%/()=_<>"); an unknown
// character gets a hollow box so that a missing glyph is visible, not silent.
const Glyph& glyph_5x7(char c);

}  // namespace spool::distribute::detail
