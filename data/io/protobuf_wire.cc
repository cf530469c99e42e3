#include "spool/data/io/protobuf_wire.h"

#include <array>
#include <bit>

#include "spool/tensor/error.h"

namespace spool::data {

// Fixed-width values are copied straight from the wire, which is little-endian.
static_assert(std::endian::native == std::endian::little, "protobuf_wire assumes a little-endian host");

std::string_view wire_type_name(WireType type) {
  switch (type) {
    case WireType::kVarint: return "varint";
    case WireType::kFixed64: return "fixed64";
    case WireType::kLengthDelimited: return "length-delimited";
    case WireType::kStartGroup: return "start-group";
    case WireType::kEndGroup: return "end-group";
    case WireType::kFixed32: return "fixed32";
  }
  return "invalid";
}

void WireReader::fail(std::size_t offset, std::string_view what) const {
  SPOOL_THROW(DataLossError, context_, ": ", what, " at offset ", offset);
}

std::uint64_t WireReader::read_varint_slow() {
  const std::size_t start = offset();
  std::uint64_t value = 0;
  // Ten bytes carry 70 bits; protobuf drops the bits past 64 and so do we, but an
  // eleventh byte is corruption, not a longer number.
  for (int i = 0; i < 10; ++i) {
    if (p_ == end_) fail(start, "truncated varint");
    const auto byte = static_cast<std::uint8_t>(*p_++);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
    if (byte < 0x80) return value;
  }
  fail(start, "varint longer than 10 bytes");
}

WireTag WireReader::read_tag_slow() {
  const std::size_t start = offset();
  const std::uint64_t raw = read_varint();
  const auto type = static_cast<std::uint8_t>(raw & 7);
  const std::uint64_t field = raw >> 3;
  if (type > 5) fail(start, spool::detail::concat("invalid wire type ", int{type}, " (tag ", raw, ")"));
  if (field == 0) fail(start, "field number 0");
  if (field > (1u << 29) - 1) fail(start, spool::detail::concat("field number ", field, " out of range"));
  return WireTag{static_cast<std::uint32_t>(field), static_cast<WireType>(type), start};
}

std::uint32_t WireReader::read_fixed32() {
  if (remaining() < 4) fail(offset(), spool::detail::concat("truncated fixed32 (", remaining(), " bytes remain)"));
  std::uint32_t v;
  std::memcpy(&v, p_, 4);  // the wire is little-endian, like every host we build for
  p_ += 4;
  return v;
}

std::uint64_t WireReader::read_fixed64() {
  if (remaining() < 8) fail(offset(), spool::detail::concat("truncated fixed64 (", remaining(), " bytes remain)"));
  std::uint64_t v;
  std::memcpy(&v, p_, 8);
  p_ += 8;
  return v;
}

void WireReader::fail_length(std::size_t offset, std::uint64_t length) const {
  fail(offset, spool::detail::concat("length ", length, " exceeds the ", remaining(), " bytes that remain"));
}

void WireReader::skip(const WireTag& tag) {
  switch (tag.type) {
    case WireType::kVarint: read_varint(); return;
    case WireType::kFixed64: read_fixed64(); return;
    case WireType::kFixed32: read_fixed32(); return;
    case WireType::kLengthDelimited: read_length_delimited(); return;
    case WireType::kStartGroup: skip_group(tag.field, tag.offset); return;
    case WireType::kEndGroup: fail(tag.offset, spool::detail::concat("end-group of field ", tag.field, " outside a group"));
  }
}

void WireReader::skip_group(std::uint32_t field, std::size_t offset) {
  // Iterative, with an explicit stack of open groups, so hostile nesting costs no
  // native stack and is bounded by kMaxGroupDepth.
  std::array<std::uint32_t, kMaxGroupDepth> open{};
  int depth = 0;
  open[depth++] = field;
  while (depth > 0) {
    if (at_end()) fail(offset, spool::detail::concat("unterminated group of field ", field));
    const WireTag tag = read_tag();
    if (tag.type == WireType::kStartGroup) {
      if (depth == kMaxGroupDepth) fail(tag.offset, spool::detail::concat("groups nested deeper than ", kMaxGroupDepth));
      open[depth++] = tag.field;
    } else if (tag.type == WireType::kEndGroup) {
      if (tag.field != open[depth - 1]) {
        fail(tag.offset, spool::detail::concat("end-group of field ", tag.field, " closes a group of field ", open[depth - 1]));
      }
      --depth;
    } else {
      skip(tag);
    }
  }
}

void WireReader::fail_wire_type(const WireTag& tag, WireType type, std::string_view field_name) const {
  fail(tag.offset, spool::detail::concat("field ", tag.field, " (", field_name, ") has wire type ",
                                         wire_type_name(tag.type), ", expected ", wire_type_name(type)));
}

void WireWriter::varint(std::uint64_t value) {
  char buf[10];
  std::size_t n = 0;
  while (value >= 0x80) {
    buf[n++] = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  buf[n++] = static_cast<char>(value);
  out_->append(buf, n);
}

void WireWriter::fixed32(std::uint32_t value) {
  char buf[4];
  std::memcpy(buf, &value, 4);
  out_->append(buf, 4);
}

void WireWriter::fixed64(std::uint64_t value) {
  char buf[8];
  std::memcpy(buf, &value, 8);
  out_->append(buf, 8);
}

void WireWriter::length_delimited(std::uint32_t field, std::string_view payload) {
  begin_length_delimited(field, payload.size());
  out_->append(payload);
}

void WireWriter::begin_length_delimited(std::uint32_t field, std::size_t payload_size) {
  tag(field, WireType::kLengthDelimited);
  varint(payload_size);
}

}  // namespace spool::data
