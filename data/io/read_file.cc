#include "spool/data/io/read_file.h"

#include <memory>
#include <optional>

#include "spool/data/io/byte_source.h"
#include "spool/tensor/error.h"

namespace spool::data {

Tensor read_file(const std::string& path) {
  std::unique_ptr<detail::ByteSource> source = detail::open_file_source(path);
  const std::optional<std::uint64_t> size = source->size();
  SPOOL_CHECK(size.has_value(), IoError, "read_file: ", spool::quoted(path), " is not a regular file");
  std::shared_ptr<Storage> storage = Storage::allocate(static_cast<std::size_t>(*size));
  const std::size_t got = source->read(storage->data(), storage->size());
  SPOOL_CHECK(got == *size, IoError, "read_file: ", spool::quoted(path), " changed while being read: expected ", *size,
              " bytes, read ", got);
  return Tensor(std::move(storage), DType::kU8, Shape{static_cast<std::int64_t>(*size)});
}

}  // namespace spool::data
