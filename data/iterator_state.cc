#include "spool/data/iterator_state.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include "spool/tensor/atomic_file.h"
#include "spool/tensor/crc32c.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

// "SPOOLIT" + format version, then the CRC-32C of the payload (little-endian).
constexpr std::string_view kMagic = "SPOOLIT1";
constexpr std::size_t kHeaderSize = 8 + 4;

// One tag byte before every field, so a pipeline that reads a different kind of field
// than was written fails at once with the stage's name instead of misreading bytes.
constexpr char kTagStage = 'S', kTagBool = 'b', kTagI64 = 'i', kTagU64 = 'u', kTagString = 's',
               kTagTensor = 't', kTagElement = 'e';

constexpr int kMaxRank = 32;

}  // namespace

IteratorState IteratorState::from_bytes(std::string bytes, std::string_view source) {
  SPOOL_CHECK(bytes.size() >= kHeaderSize && std::string_view(bytes).substr(0, 8) == kMagic, DataLossError,
              spool::quoted(std::string(source)), ": not a Spool iterator state (", bytes.size(),
              " bytes, expected the header ", spool::quoted(std::string(kMagic)), ")");
  std::uint32_t stored = 0;
  std::memcpy(&stored, bytes.data() + 8, 4);
  const std::uint32_t actual = crc32c(bytes.data() + kHeaderSize, bytes.size() - kHeaderSize);
  SPOOL_CHECK(stored == actual, DataLossError, spool::quoted(std::string(source)),
              ": iterator state crc mismatch over ", bytes.size() - kHeaderSize, " payload bytes at offset ",
              kHeaderSize);
  IteratorState state;
  state.bytes_ = std::move(bytes);
  return state;
}

void IteratorState::save_file(const std::string& path) const {
  spool::detail::AtomicFile file(path);
  file.write(bytes_.data(), bytes_.size());
  file.commit();
}

IteratorState IteratorState::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  SPOOL_CHECK(in.good(), IoError, "cannot open iterator state ", spool::quoted(path));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  SPOOL_CHECK(!in.bad(), IoError, "cannot read iterator state ", spool::quoted(path));
  return from_bytes(std::move(bytes), path);
}

// ---- StateWriter ----

StateWriter::StateWriter() = default;

void StateWriter::put_tag(char tag) { payload_.push_back(tag); }
void StateWriter::put_raw(const void* p, std::size_t n) { payload_.append(static_cast<const char*>(p), n); }

void StateWriter::begin(std::string_view stage) {
  put_tag(kTagStage);
  const std::uint64_t n = stage.size();
  put_raw(&n, 8);
  put_raw(stage.data(), stage.size());
}

void StateWriter::write_bool(bool v) {
  put_tag(kTagBool);
  const char b = v ? 1 : 0;
  put_raw(&b, 1);
}

void StateWriter::write_i64(std::int64_t v) {
  put_tag(kTagI64);
  put_raw(&v, 8);
}

void StateWriter::write_u64(std::uint64_t v) {
  put_tag(kTagU64);
  put_raw(&v, 8);
}

void StateWriter::write_string(std::string_view v) {
  put_tag(kTagString);
  const std::uint64_t n = v.size();
  put_raw(&n, 8);
  put_raw(v.data(), v.size());
}

void StateWriter::write_tensor(const Tensor& t) {
  put_tag(kTagTensor);
  const char defined = t.defined() ? 1 : 0;
  put_raw(&defined, 1);
  if (!t.defined()) return;
  const auto dtype = static_cast<std::uint8_t>(t.dtype());
  put_raw(&dtype, 1);
  const std::uint64_t rank = static_cast<std::uint64_t>(t.rank());
  put_raw(&rank, 8);
  for (std::int64_t d : t.shape().dims()) put_raw(&d, 8);
  const Tensor c = t.contiguous();
  put_raw(c.raw_data(), static_cast<std::size_t>(c.numel()) * c.element_size());
}

void StateWriter::write_element(const Element& e) {
  put_tag(kTagElement);
  const std::uint64_t n = e.size();
  put_raw(&n, 8);
  write_bool(e.has_names());
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (e.has_names()) write_string(e.names()[i]);
    write_tensor(e[i]);
  }
}

IteratorState StateWriter::finish() && {
  std::string bytes(kMagic);
  const std::uint32_t crc = crc32c(payload_.data(), payload_.size());
  bytes.append(reinterpret_cast<const char*>(&crc), 4);
  bytes += payload_;
  IteratorState state;
  state.bytes_ = std::move(bytes);
  return state;
}

// ---- StateReader ----

StateReader::StateReader(const IteratorState& state) {
  SPOOL_CHECK(state.bytes_.size() >= kHeaderSize, InvalidArgument,
              "iterator state is empty: make one with Iterator::save()");
  payload_ = std::string_view(state.bytes_).substr(kHeaderSize);
}

void StateReader::get_raw(void* p, std::size_t n) {
  SPOOL_CHECK(n <= payload_.size() - pos_, DataLossError, "iterator state: truncated in stage ",
              spool::quoted(stage_), " at offset ", pos_ + kHeaderSize, " (need ", n, " bytes, ",
              payload_.size() - pos_, " left)");
  std::memcpy(p, payload_.data() + pos_, n);
  pos_ += n;
}

void StateReader::expect_tag(char tag, const char* what) {
  SPOOL_CHECK(pos_ < payload_.size(), InvalidArgument, "iterator state: stage ", spool::quoted(stage_),
              " expects a ", what, " but the state ends at offset ", pos_ + kHeaderSize,
              " (saved from a different pipeline?)");
  const char found = payload_[pos_];
  SPOOL_CHECK(found == tag, InvalidArgument, "iterator state: stage ", spool::quoted(stage_), " expects a ",
              what, " at offset ", pos_ + kHeaderSize, " but found field tag '", found,
              "' (saved from a different pipeline?)");
  ++pos_;
}

std::uint64_t StateReader::read_length(const char* what, std::uint64_t unit) {
  std::uint64_t n = 0;
  get_raw(&n, 8);
  SPOOL_CHECK(unit == 0 || n <= (payload_.size() - pos_) / unit, DataLossError, "iterator state: ", what,
              " of ", n, " in stage ", spool::quoted(stage_), " at offset ", pos_ + kHeaderSize,
              " exceeds the ", payload_.size() - pos_, " bytes left");
  return n;
}

void StateReader::begin(std::string_view stage) {
  const std::string previous = stage_;
  SPOOL_CHECK(pos_ < payload_.size() && payload_[pos_] == kTagStage, InvalidArgument,
              "iterator state: expected stage ", spool::quoted(std::string(stage)), " after ",
              spool::quoted(previous), " at offset ", pos_ + kHeaderSize,
              " (the state was saved from a different pipeline)");
  ++pos_;
  const std::uint64_t n = read_length("stage name length", 1);
  std::string name(payload_.substr(pos_, n));
  pos_ += n;
  SPOOL_CHECK(name == stage, InvalidArgument, "iterator state holds stage ", spool::quoted(name),
              " where this pipeline has ", spool::quoted(std::string(stage)), " (after ", spool::quoted(previous),
              ")");
  stage_ = std::move(name);
}

bool StateReader::read_bool() {
  expect_tag(kTagBool, "bool");
  char b = 0;
  get_raw(&b, 1);
  return b != 0;
}

std::int64_t StateReader::read_i64() {
  expect_tag(kTagI64, "int64");
  std::int64_t v = 0;
  get_raw(&v, 8);
  return v;
}

std::int64_t StateReader::read_count(const char* what) {
  const std::size_t at = pos_ + kHeaderSize;
  const std::int64_t v = read_i64();
  SPOOL_CHECK(v >= 0 && v <= (std::int64_t{1} << 62), DataLossError, "iterator state: ", what, " in stage ",
              spool::quoted(stage_), " at offset ", at, " is ", v, ", outside [0, 2^62]");
  return v;
}

std::uint64_t StateReader::read_u64() {
  expect_tag(kTagU64, "uint64");
  std::uint64_t v = 0;
  get_raw(&v, 8);
  return v;
}

std::string StateReader::read_string() {
  expect_tag(kTagString, "string");
  const std::uint64_t n = read_length("string length", 1);
  std::string s(payload_.substr(pos_, n));
  pos_ += n;
  return s;
}

Tensor StateReader::read_tensor() {
  expect_tag(kTagTensor, "tensor");
  char defined = 0;
  get_raw(&defined, 1);
  if (!defined) return Tensor();
  std::uint8_t dtype = 0;
  get_raw(&dtype, 1);
  SPOOL_CHECK(dtype <= static_cast<std::uint8_t>(DType::kF64), DataLossError, "iterator state: bad dtype code ",
              int(dtype), " in stage ", spool::quoted(stage_));
  const std::uint64_t rank = read_length("tensor rank", 8);
  SPOOL_CHECK(rank <= kMaxRank, DataLossError, "iterator state: tensor rank ", rank, " in stage ",
              spool::quoted(stage_), " exceeds ", kMaxRank);
  std::vector<std::int64_t> dims(rank);
  std::uint64_t numel = 1;
  const std::uint64_t left = payload_.size() - pos_;
  for (auto& d : dims) {
    get_raw(&d, 8);
    SPOOL_CHECK(d >= 0 && (d == 0 || numel <= left / static_cast<std::uint64_t>(d)), DataLossError,
                "iterator state: tensor dimension ", d, " in stage ", spool::quoted(stage_),
                " does not fit the bytes left");
    numel *= static_cast<std::uint64_t>(d);
  }
  const std::size_t bytes = numel * dtype_size(static_cast<DType>(dtype));
  SPOOL_CHECK(bytes <= payload_.size() - pos_, DataLossError, "iterator state: tensor of ", bytes,
              " bytes in stage ", spool::quoted(stage_), " exceeds the ", payload_.size() - pos_, " bytes left");
  Tensor t = Tensor::empty(Shape(dims), static_cast<DType>(dtype));
  get_raw(t.raw_data(), bytes);
  return t;
}

Element StateReader::read_element() {
  expect_tag(kTagElement, "element");
  const std::uint64_t n = read_length("element size", 2);
  const bool named = read_bool();
  std::vector<Tensor> components;
  std::vector<std::string> names;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (named) names.push_back(read_string());
    components.push_back(read_tensor());
  }
  return Element(std::move(components), std::move(names));
}

void StateReader::finish() const {
  SPOOL_CHECK(pos_ == payload_.size(), InvalidArgument, "iterator state: ", payload_.size() - pos_,
              " bytes left after the last stage ", spool::quoted(stage_),
              " (saved from a different pipeline?)");
}

}  // namespace spool::data
