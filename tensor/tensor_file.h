// Named tensors in a small versioned binary file, each tensor guarded by a CRC-32C.
// Checkpoints (variables, optimizer state) are written in this format.
//
//   save_tensors("step-1000.tensors", {{"dense/kernel", w}, {"dense/bias", b}});
//   for (auto& [name, t] : load_tensors("step-1000.tensors")) ...
//
// Layout (little-endian), version 1:
//   file   = "SPOOLTNS" · u32 version · u32 count · entry[count]
//   entry  = u32 header_bytes · header · u64 data_bytes · data · u32 masked_crc32c(header · data)
//   header = u16 name_bytes · name · u8 dtype · u8 rank · i64 dims[rank]
// data is the tensor's elements in row-major order. A reader of version 1 refuses a
// newer version with a message naming it, rather than guessing.
//
// save_tensors writes to a temporary name and renames, so the file appears whole or
// not at all. Loading checks every length against the bytes that remain before
// allocating, and every CRC; a bad file is a DataLossError naming the file, the tensor
// (name or index) and the byte offset.
// Thread-safety: free functions without shared state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spool/tensor/tensor.h"

namespace spool {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

inline constexpr std::uint32_t kTensorFileVersion = 1;

std::string encode_tensors(const std::vector<NamedTensor>& tensors);
// `source` names the bytes in error messages (a path, or "<memory>").
std::vector<NamedTensor> decode_tensors(std::string_view bytes, const std::string& source = "<memory>");

void save_tensors(const std::string& path, const std::vector<NamedTensor>& tensors);
std::vector<NamedTensor> load_tensors(const std::string& path);

}  // namespace spool
