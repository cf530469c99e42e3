// CRC-32C for record I/O: the implementation lives in tensor/crc32c.h (the tensor file
// format uses it too); these names keep `spool::data::crc32c` working.
#pragma once

#include "spool/tensor/crc32c.h"

namespace spool::data {

using spool::crc32c;
using spool::crc32c_extend;
using spool::crc32c_extend_portable;
using spool::crc32c_implementation;
using spool::crc32c_implementations;
using spool::Crc32cImplementation;
using spool::kCrcMaskDelta;
using spool::mask_crc;
using spool::unmask_crc;

}  // namespace spool::data
