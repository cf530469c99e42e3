// IteratorState: a saved iterator position that a later make_iterator(state) resumes
// from exactly; and StateWriter/StateReader, which stages use to write their part.
//
//   IteratorState state = it.save();
//   state.save_file("ckpt/iterator.state");             // atomically, CRC-checked
//   auto resumed = ds.make_iterator(IteratorState::load_file("ckpt/iterator.state"));
//
// The bytes are a versioned header, a CRC-32C, and the stages' fields in pipeline
// order, each stage opened by its name, so a state restored into a different pipeline
// fails with a message naming both stages. Every length read is checked against the
// bytes that remain before anything is allocated.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "spool/data/element.h"
#include "spool/tensor/tensor.h"

namespace spool::data {

class IteratorState {
 public:
  IteratorState() = default;
  // Checks the header and CRC; `source` names the bytes in errors.
  static IteratorState from_bytes(std::string bytes, std::string_view source = "iterator state");
  const std::string& bytes() const { return bytes_; }

  void save_file(const std::string& path) const;
  static IteratorState load_file(const std::string& path);

 private:
  friend class StateWriter;
  friend class StateReader;
  std::string bytes_;  // header + crc + payload
};

class StateWriter {
 public:
  StateWriter();
  // Opens a stage's fields; restore checks the same name comes back.
  void begin(std::string_view stage);
  void write_bool(bool v);
  void write_i64(std::int64_t v);
  void write_u64(std::uint64_t v);
  void write_string(std::string_view v);
  void write_tensor(const Tensor& t);  // undefined tensors too
  void write_element(const Element& e);
  IteratorState finish() &&;

 private:
  void put_tag(char tag);
  void put_raw(const void* p, std::size_t n);
  std::string payload_;
};

class StateReader {
 public:
  explicit StateReader(const IteratorState& state);
  // Throws InvalidArgument "iterator state holds stage 'x' where this pipeline has 'y'".
  void begin(std::string_view stage);
  bool read_bool();
  std::int64_t read_i64();
  // An i64 that counts elements or positions: DataLossError naming `what`, the stage
  // and the offset unless it is in [0, 2^62], so that the stage's arithmetic on it
  // (a count incremented, two subtracted) cannot overflow.
  std::int64_t read_count(const char* what);
  std::uint64_t read_u64();
  std::string read_string();
  Tensor read_tensor();
  Element read_element();
  // Throws unless every byte was read (a pipeline with fewer stages than the state).
  void finish() const;

 private:
  void expect_tag(char tag, const char* what);
  void get_raw(void* p, std::size_t n);
  std::uint64_t read_length(const char* what, std::uint64_t unit);

  std::string_view payload_;
  std::size_t pos_ = 0;
  std::string stage_ = "(start)";
};

}  // namespace spool::data
