#include "spool/tensor/tensor_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

#include "spool/tensor/atomic_file.h"
#include "spool/tensor/crc32c.h"

namespace spool {

namespace {

constexpr std::string_view kMagic = "SPOOLTNS";
constexpr std::size_t kMaxRank = 255;

template <typename T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // little-endian hosts, as the format
  out.append(bytes, sizeof(T));
}

// Reads fixed-size fields off a byte view, every read checked against what remains.
class Cursor {
 public:
  Cursor(std::string_view bytes, const std::string& source) : bytes_(bytes), source_(source) {}

  template <typename T>
  T get(const std::string& what) {
    need(sizeof(T), what);
    T value;
    std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }

  std::string_view take(std::uint64_t n, const std::string& what) {
    need(n, what);
    std::string_view out = bytes_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return out;
  }

  std::size_t pos() const { return pos_; }
  bool at_end() const { return pos_ == bytes_.size(); }

  [[noreturn]] void fail(const std::string& what, std::size_t at) const {
    SPOOL_THROW(DataLossError, "tensor file ", spool::quoted(source_), ": ", what, " (offset ", at, ")");
  }

 private:
  void need(std::uint64_t n, const std::string& what) const {
    if (n > bytes_.size() - pos_)
      fail(what + " needs " + std::to_string(n) + " bytes, only " + std::to_string(bytes_.size() - pos_) + " remain",
           pos_);
  }

  std::string_view bytes_;
  const std::string& source_;
  std::size_t pos_ = 0;
};

bool valid_dtype(std::uint8_t code) { return code <= static_cast<std::uint8_t>(DType::kF64); }

}  // namespace

std::string encode_tensors(const std::vector<NamedTensor>& tensors) {
  SPOOL_CHECK(tensors.size() <= std::numeric_limits<std::uint32_t>::max(), InvalidArgument, "encode_tensors: ",
              tensors.size(), " tensors are too many for one file");
  std::string out(kMagic);
  put<std::uint32_t>(out, kTensorFileVersion);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(tensors.size()));
  for (const auto& [name, tensor] : tensors) {
    SPOOL_CHECK(name.size() <= std::numeric_limits<std::uint16_t>::max(), InvalidArgument,
                "encode_tensors: name of ", name.size(), " bytes is too long");
    SPOOL_CHECK(tensor.defined(), InvalidArgument, "encode_tensors: tensor ", spool::quoted(name), " is undefined");
    SPOOL_CHECK(tensor.rank() <= static_cast<std::int64_t>(kMaxRank), InvalidArgument, "encode_tensors: tensor ",
                spool::quoted(name), " has rank ", tensor.rank(), " > ", kMaxRank);
    std::string header;
    put<std::uint16_t>(header, static_cast<std::uint16_t>(name.size()));
    header += name;
    put<std::uint8_t>(header, static_cast<std::uint8_t>(tensor.dtype()));
    put<std::uint8_t>(header, static_cast<std::uint8_t>(tensor.rank()));
    for (std::int64_t d : tensor.shape().dims()) put<std::int64_t>(header, d);
    const Tensor data = tensor.contiguous();
    const auto bytes = data.bytes();
    put<std::uint32_t>(out, static_cast<std::uint32_t>(header.size()));
    out += header;
    put<std::uint64_t>(out, bytes.size());
    out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const std::uint32_t crc = crc32c_extend(crc32c(header), bytes.data(), bytes.size());
    put<std::uint32_t>(out, mask_crc(crc));
  }
  return out;
}

std::vector<NamedTensor> decode_tensors(std::string_view bytes, const std::string& source) {
  Cursor in(bytes, source);
  if (in.take(kMagic.size(), "magic") != kMagic) in.fail("not a Spool tensor file (bad magic)", 0);
  const auto version = in.get<std::uint32_t>("version");
  if (version != kTensorFileVersion)
    in.fail("version " + std::to_string(version) + " is not supported (this build reads version " +
                std::to_string(kTensorFileVersion) + ")",
            kMagic.size());
  const auto count = in.get<std::uint32_t>("tensor count");
  std::vector<NamedTensor> out;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t entry_start = in.pos();
    const std::string label = "tensor #" + std::to_string(i);
    const auto header_bytes = in.get<std::uint32_t>(label + " header length");
    const std::string_view header = in.take(header_bytes, label + " header");
    Cursor h(header, source);
    const auto name_bytes = h.get<std::uint16_t>(label + " name length");
    std::string name(h.take(name_bytes, label + " name"));
    const std::string who = label + " " + spool::quoted(name);
    const auto dtype_code = h.get<std::uint8_t>(who + " dtype");
    if (!valid_dtype(dtype_code)) in.fail(who + " has unknown dtype code " + std::to_string(dtype_code), entry_start);
    const auto rank = h.get<std::uint8_t>(who + " rank");
    std::vector<std::int64_t> dims(rank);
    for (auto& d : dims) {
      d = h.get<std::int64_t>(who + " dimension");
      if (d < 0) in.fail(who + " has negative dimension " + std::to_string(d), entry_start);
    }
    if (!h.at_end()) in.fail(who + " header has " + std::to_string(header.size() - h.pos()) + " extra bytes",
                             entry_start);
    const auto dtype = static_cast<DType>(dtype_code);
    const auto data_bytes = in.get<std::uint64_t>(who + " data length");
    // The data must be there before the shape is trusted for an allocation.
    const std::string_view data = in.take(data_bytes, who + " data");
    std::uint64_t expected = dtype_size(dtype);
    for (std::int64_t d : dims) {
      if (d != 0 && expected > data_bytes / static_cast<std::uint64_t>(d) + 1) {
        expected = std::numeric_limits<std::uint64_t>::max();
        break;
      }
      expected *= static_cast<std::uint64_t>(d);
    }
    Shape shape(std::move(dims));
    if (expected != data_bytes)
      in.fail(who + " of shape " + shape.to_string() + " and dtype " + std::string(dtype_name(dtype)) + " has " +
                  std::to_string(data_bytes) + " data bytes",
              entry_start);
    const auto stored = in.get<std::uint32_t>(who + " crc");
    const std::uint32_t actual = crc32c_extend(crc32c(header), data.data(), data.size());
    if (unmask_crc(stored) != actual) in.fail(who + ": crc mismatch", entry_start);
    Tensor t = Tensor::empty(std::move(shape), dtype);
    if (!data.empty()) std::memcpy(t.raw_data(), data.data(), data.size());
    out.push_back({std::move(name), std::move(t)});
  }
  if (!in.at_end()) in.fail(std::to_string(bytes.size() - in.pos()) + " bytes after the last tensor", in.pos());
  return out;
}

void save_tensors(const std::string& path, const std::vector<NamedTensor>& tensors) {
  const std::string bytes = encode_tensors(tensors);
  detail::AtomicFile file(path);
  file.write(bytes.data(), bytes.size());
  file.commit();
}

std::vector<NamedTensor> load_tensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  SPOOL_CHECK(in, IoError, "load_tensors: cannot open ", spool::quoted(path), ": ", std::strerror(errno));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  SPOOL_CHECK(!in.bad(), IoError, "load_tensors: cannot read ", spool::quoted(path));
  return decode_tensors(bytes, path);
}

}  // namespace spool
