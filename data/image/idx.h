// read_idx: decodes an IDX file, the format of MNIST and Fashion-MNIST, raw or gzip
// (detected from the first bytes, not the name), into a Tensor of the stored shape.
//
//   Tensor images = read_idx("train-images-idx3-ubyte.gz");   // u8[60000, 28, 28]
//   Tensor labels = read_idx("train-labels-idx1-ubyte.gz");   // u8[60000]
//
// The format (all integers big-endian): two zero bytes, a type code, the number of
// dimensions (1..4), one u32 size per dimension, then the values in row-major order.
// Type codes 0x08 (u8), 0x0C (i32), 0x0D (f32) and 0x0E (f64) are decoded (multi-byte
// values are converted to host order); 0x09 (i8) and 0x0B (i16) have no Spool dtype and
// are Unimplemented; any other code is a DataLossError. Header errors name the file and
// the byte offset; a file shorter or longer than its header says is a DataLossError
// naming the expected and the found byte counts. A raw file's size is checked before
// anything is allocated; a gzip stream may declare at most kMaxIdxGzipBytes, and is
// inflated whole (libdeflate) into a buffer that grows only as the data fills it.
// Thread-safety: a pure function of the file; safe from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "spool/tensor/tensor.h"

namespace spool::data {

// The largest payload a gzip IDX file may declare (its real size is unknown up front).
inline constexpr std::uint64_t kMaxIdxGzipBytes = std::uint64_t{2} << 30;

// Throws IoError when the file cannot be read, DataLossError for malformed contents.
Tensor read_idx(const std::string& path);

}  // namespace spool::data
