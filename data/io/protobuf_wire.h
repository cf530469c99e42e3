// Protocol-buffer wire format, by hand: a bounds-checked reader and an appending writer.
//
//   WireReader in(record, "Example");            // offsets in errors count from record[0]
//   while (!in.at_end()) {
//     const WireTag tag = in.read_tag();
//     if (tag.field == 1 && tag.type == WireType::kLengthDelimited) {
//       WireReader features = in.read_message();  // same origin: offsets stay record-relative
//     } else {
//       in.skip(tag);                             // unknown fields of every wire type, groups too
//     }
//   }
//
//   std::string out;
//   WireWriter w(out);
//   w.length_delimited(1, "bytes");              // tag 0x0a, length 5, payload
//
// The reader never reads outside the bytes it was given, never allocates, and turns
// every malformation (truncated varint, length past the end, varint of 11 bytes, wire
// type 6/7, field number 0, unbalanced group) into a DataLossError whose message names
// the context, the byte offset within the record and what was wrong:
//   "Example: length 300 exceeds the 20 bytes that remain at offset 12"
// Wire format reference: https://protobuf.dev/programming-guides/encoding/
//
// Thread-safety: a WireReader/WireWriter is a small cursor owned by one thread; the bytes
// it reads are never written, so any number of readers may share one record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace spool::data {

enum class WireType : std::uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// "varint", "fixed64", "length-delimited", "start-group", "end-group", "fixed32".
std::string_view wire_type_name(WireType type);

struct WireTag {
  std::uint32_t field = 0;
  WireType type = WireType::kVarint;
  std::size_t offset = 0;  // of the tag's first byte, within the record
};

// Nesting deeper than this (groups inside groups) is treated as corruption; it bounds
// the work and the state of skip() on adversarial input.
inline constexpr int kMaxGroupDepth = 64;

class WireReader {
 public:
  // Reads all of `record`; `context` names the message in errors ("Example") and must
  // outlive the reader (a string literal, typically).
  explicit WireReader(std::string_view record, std::string_view context = "protobuf")
      : origin_(record.data()), p_(record.data()), end_(record.data() + record.size()), context_(context) {}
  // Reads `range`, a part of a record that begins at `origin`: offsets stay record-relative.
  WireReader(const char* origin, std::string_view range, std::string_view context)
      : origin_(origin), p_(range.data()), end_(range.data() + range.size()), context_(context) {}

  bool at_end() const { return p_ == end_; }
  std::size_t offset() const { return static_cast<std::size_t>(p_ - origin_); }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }
  const char* origin() const { return origin_; }
  std::string_view context() const { return context_; }

  // The next tag; call only when !at_end(). Rejects field 0, wire types 6 and 7 and
  // field numbers beyond 2^29 - 1.
  WireTag read_tag() {
    // Fields 1..15 with a valid wire type (the common case) are a single byte.
    if (p_ != end_) {
      const auto byte = static_cast<std::uint8_t>(*p_);
      if (byte < 0x80 && byte >= 8 && (byte & 7) <= 5) {
        ++p_;
        return WireTag{static_cast<std::uint32_t>(byte >> 3), static_cast<WireType>(byte & 7), offset() - 1};
      }
    }
    return read_tag_slow();
  }
  std::uint64_t read_varint() {
    if (p_ != end_ && static_cast<std::uint8_t>(*p_) < 0x80) return static_cast<std::uint8_t>(*p_++);
    return read_varint_slow();
  }
  std::uint32_t read_fixed32();
  std::uint64_t read_fixed64();
  // The payload of a length-delimited field (after its tag): a view into the record.
  std::string_view read_length_delimited() {
    const std::size_t start = offset();
    const std::uint64_t length = read_varint();
    if (length > remaining()) fail_length(start, length);
    const std::string_view payload(p_, static_cast<std::size_t>(length));
    p_ += length;
    return payload;
  }
  // read_length_delimited() as a reader with the same origin and context.
  WireReader read_message() { return WireReader(origin_, read_length_delimited(), context_); }
  // Skips the value of the field whose tag was just read; a start-group is skipped up to
  // its matching end-group. An end-group tag outside a group is corruption.
  void skip(const WireTag& tag);
  // Throws DataLossError unless tag.type == type: a known field with the wrong wire type.
  void expect(const WireTag& tag, WireType type, std::string_view field_name) const {
    if (tag.type != type) fail_wire_type(tag, type, field_name);
  }

  // "<context>: <what> at offset <offset>", as a DataLossError.
  [[noreturn]] void fail(std::size_t offset, std::string_view what) const;

 private:
  WireTag read_tag_slow();
  std::uint64_t read_varint_slow();
  [[noreturn]] void fail_length(std::size_t offset, std::uint64_t length) const;
  [[noreturn]] void fail_wire_type(const WireTag& tag, WireType type, std::string_view field_name) const;
  void skip_group(std::uint32_t field, std::size_t offset);

  const char* origin_;
  const char* p_;
  const char* end_;
  std::string_view context_;
};

// How many bytes the varint encoding of `value` takes (1 to 10).
constexpr std::size_t varint_size(std::uint64_t value) {
  std::size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

// Bytes taken by a length-delimited field of a small (< 16) field number with this
// payload size: tag + length + payload.
constexpr std::size_t length_delimited_size(std::size_t payload) { return 1 + varint_size(payload) + payload; }

// Appends wire-format fields to a std::string it does not own.
class WireWriter {
 public:
  explicit WireWriter(std::string& out) : out_(&out) {}

  void tag(std::uint32_t field, WireType type) { varint((static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint8_t>(type)); }
  void varint(std::uint64_t value);
  void fixed32(std::uint32_t value);
  void fixed64(std::uint64_t value);
  // Tag, length and payload.
  void length_delimited(std::uint32_t field, std::string_view payload);
  // Tag and length only: the caller appends exactly `payload_size` bytes next.
  void begin_length_delimited(std::uint32_t field, std::size_t payload_size);
  void raw(std::string_view bytes) { out_->append(bytes); }

 private:
  std::string* out_;
};

}  // namespace spool::data
