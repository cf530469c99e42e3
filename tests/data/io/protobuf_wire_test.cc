#include "spool/data/io/protobuf_wire.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "spool/tensor/error.h"

namespace spool::data {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// Runs `f` and returns the DataLossError message it throws (fails the test otherwise).
template <typename F>
std::string data_loss_message(F&& f) {
  try {
    f();
  } catch (const DataLossError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected DataLossError";
  return "";
}

TEST(ProtobufWireTest, VarintRoundTripsAtEveryLength) {
  for (int bits = 0; bits <= 64; ++bits) {
    const std::uint64_t v = bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
    std::string out;
    WireWriter(out).varint(v);
    EXPECT_EQ(out.size(), varint_size(v)) << v;
    WireReader in(out);
    EXPECT_EQ(in.read_varint(), v);
    EXPECT_TRUE(in.at_end());
  }
  EXPECT_EQ(varint_size(~std::uint64_t{0}), 10u);
  EXPECT_EQ(varint_size(127), 1u);
  EXPECT_EQ(varint_size(128), 2u);
}

TEST(ProtobufWireTest, VarintBytesAreLittleEndianBase128) {
  std::string out;
  WireWriter(out).varint(300);
  EXPECT_EQ(out, bytes({0xac, 0x02}));
}

TEST(ProtobufWireTest, VarintOfElevenBytesIsDataLossWithOffset) {
  const std::string record = bytes({0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
  WireReader in(record, "Test");
  const WireTag tag = in.read_tag();
  EXPECT_EQ(tag.field, 1u);
  EXPECT_EQ(data_loss_message([&] { in.read_varint(); }), "Test: varint longer than 10 bytes at offset 1");
}

TEST(ProtobufWireTest, TruncatedVarintNamesItsOffset) {
  const std::string record = bytes({0x08, 0x80, 0x80});
  WireReader in(record, "Test");
  in.read_tag();
  EXPECT_EQ(data_loss_message([&] { in.read_varint(); }), "Test: truncated varint at offset 1");
}

TEST(ProtobufWireTest, LengthLargerThanWhatRemainsIsRejected) {
  const std::string record = bytes({0x0a, 0x05, 'a', 'b'});
  WireReader in(record, "Test");
  in.read_tag();
  EXPECT_EQ(data_loss_message([&] { in.read_length_delimited(); }),
            "Test: length 5 exceeds the 2 bytes that remain at offset 1");
}

TEST(ProtobufWireTest, HugeLengthDoesNotOverflowTheBoundsCheck) {
  const std::string record = bytes({0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
  WireReader in(record, "Test");
  in.read_tag();
  EXPECT_NE(data_loss_message([&] { in.read_length_delimited(); }).find("exceeds the 0 bytes"), std::string::npos);
}

TEST(ProtobufWireTest, InvalidTagsAreRejected) {
  for (const std::string& record : {bytes({0x0e}), bytes({0x0f}), bytes({0x00}), bytes({0x02, 0x00})}) {
    WireReader in(record, "Test");
    const std::string message = data_loss_message([&] { in.read_tag(); });
    EXPECT_NE(message.find("at offset 0"), std::string::npos) << message;
  }
  // Field number 2^29 is one past the largest protobuf allows.
  std::string big;
  WireWriter(big).varint((std::uint64_t{1} << 29) << 3);
  WireReader in(big, "Test");
  EXPECT_NE(data_loss_message([&] { in.read_tag(); }).find("out of range"), std::string::npos);
}

TEST(ProtobufWireTest, SkipsEveryWireType) {
  std::string record;
  WireWriter w(record);
  w.tag(1, WireType::kVarint);
  w.varint(~std::uint64_t{0});
  w.tag(2, WireType::kFixed64);
  w.fixed64(42);
  w.length_delimited(3, "payload");
  w.tag(4, WireType::kStartGroup);
  w.tag(5, WireType::kVarint);
  w.varint(7);
  w.tag(6, WireType::kStartGroup);  // nested group
  w.tag(6, WireType::kEndGroup);
  w.tag(4, WireType::kEndGroup);
  w.tag(7, WireType::kFixed32);
  w.fixed32(9);
  w.tag(8, WireType::kVarint);
  w.varint(1);

  WireReader in(record);
  std::vector<std::uint32_t> fields;
  while (!in.at_end()) {
    const WireTag tag = in.read_tag();
    fields.push_back(tag.field);
    in.skip(tag);
  }
  EXPECT_EQ(fields, (std::vector<std::uint32_t>{1, 2, 3, 4, 7, 8}));
}

// The error skip() throws for the first field of `record`.
std::string skip_first_field_error(const std::string& record) {
  WireReader in(record, "Test");
  const WireTag tag = in.read_tag();
  return data_loss_message([&] { in.skip(tag); });
}

TEST(ProtobufWireTest, UnbalancedGroupsAreDataLoss) {
  std::string unterminated;
  WireWriter(unterminated).tag(4, WireType::kStartGroup);
  EXPECT_EQ(skip_first_field_error(unterminated), "Test: unterminated group of field 4 at offset 0");

  std::string mismatched;
  WireWriter w(mismatched);
  w.tag(4, WireType::kStartGroup);
  w.tag(5, WireType::kEndGroup);
  EXPECT_EQ(skip_first_field_error(mismatched), "Test: end-group of field 5 closes a group of field 4 at offset 1");

  std::string stray;
  WireWriter(stray).tag(4, WireType::kEndGroup);
  EXPECT_EQ(skip_first_field_error(stray), "Test: end-group of field 4 outside a group at offset 0");
}

TEST(ProtobufWireTest, DeepGroupNestingIsBounded) {
  std::string record;
  WireWriter w(record);
  for (int i = 0; i < 100000; ++i) w.tag(1, WireType::kStartGroup);
  EXPECT_EQ(skip_first_field_error(record), "Test: groups nested deeper than 64 at offset 64");
}

TEST(ProtobufWireTest, FixedWidthValuesAreLittleEndianAndBoundsChecked) {
  std::string out;
  WireWriter w(out);
  w.fixed32(0x04030201u);
  w.fixed64(0x0807060504030201ull);
  EXPECT_EQ(out, bytes({1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8}));
  WireReader in(out);
  EXPECT_EQ(in.read_fixed32(), 0x04030201u);
  EXPECT_EQ(in.read_fixed64(), 0x0807060504030201ull);

  const std::string short_record = bytes({1, 2, 3});
  WireReader s(short_record, "Test");
  EXPECT_EQ(data_loss_message([&] { s.read_fixed32(); }), "Test: truncated fixed32 (3 bytes remain) at offset 0");
}

TEST(ProtobufWireTest, NestedReadersReportRecordRelativeOffsets) {
  // field 1 { field 2: length 9 with only 1 byte } at record offset 2..
  const std::string record = bytes({0x0a, 0x03, 0x12, 0x09, 0x00});
  WireReader in(record, "Test");
  in.read_tag();
  WireReader inner = in.read_message();
  EXPECT_EQ(inner.offset(), 2u);
  inner.read_tag();
  EXPECT_EQ(data_loss_message([&] { inner.read_length_delimited(); }),
            "Test: length 9 exceeds the 1 bytes that remain at offset 3");
}

TEST(ProtobufWireTest, ExpectNamesTheFieldAndBothWireTypes) {
  const std::string record = bytes({0x08, 0x01});
  WireReader in(record, "Test");
  const WireTag tag = in.read_tag();
  EXPECT_EQ(data_loss_message([&] { in.expect(tag, WireType::kLengthDelimited, "Foo.bar"); }),
            "Test: field 1 (Foo.bar) has wire type varint, expected length-delimited at offset 0");
}

}  // namespace
}  // namespace spool::data
