// Serialized tf.train.Example pieces written by hand, for layouts encode_example never
// produces (unpacked lists, repeated keys, several Features fields):
//
//   using namespace spool::testing::wire;
//   std::string record = example({{entry("label", feature(3, packed_int64(7)))}});
//
// feature(list_field, list): 1 bytes_list, 2 float_list, 3 int64_list.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "spool/data/io/protobuf_wire.h"

namespace spool::testing::wire {

using data::WireType;
using data::WireWriter;

inline std::string entry(std::string_view key, std::string_view feature) {
  std::string e;
  WireWriter w(e);
  w.length_delimited(1, key);
  w.length_delimited(2, feature);
  return e;
}
inline std::string feature(std::uint32_t list_field, std::string_view list) {
  std::string f;
  WireWriter(f).length_delimited(list_field, list);
  return f;
}
inline std::string example(const std::vector<std::vector<std::string>>& features_fields) {
  std::string ex;
  WireWriter w(ex);
  for (const auto& entries : features_fields) {
    std::string features;
    WireWriter fw(features);
    for (const std::string& e : entries) fw.length_delimited(1, e);
    w.length_delimited(1, features);
  }
  return ex;
}
inline std::string packed_int64(std::int64_t v) {
  std::string run, list;
  WireWriter(run).varint(static_cast<std::uint64_t>(v));
  WireWriter(list).length_delimited(1, run);
  return list;
}
inline std::string unpacked_int64(std::int64_t v) {
  std::string list;
  WireWriter w(list);
  w.tag(1, WireType::kVarint);
  w.varint(static_cast<std::uint64_t>(v));
  return list;
}
inline std::string floats_list(std::vector<float> values, bool packed) {
  std::string list;
  WireWriter w(list);
  if (packed) {
    w.length_delimited(1, std::string_view(reinterpret_cast<const char*>(values.data()), 4 * values.size()));
  } else {
    for (float v : values) {
      std::uint32_t bits = 0;
      std::memcpy(&bits, &v, 4);
      w.tag(1, WireType::kFixed32);
      w.fixed32(bits);
    }
  }
  return list;
}
inline std::string bytes_list(std::string_view v) {
  std::string list;
  WireWriter(list).length_delimited(1, v);
  return list;
}

}  // namespace spool::testing::wire
