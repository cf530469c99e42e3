#include "spool/tensor/storage.h"

#include <cstdlib>
#include <new>

#include "spool/tensor/error.h"

namespace spool {

std::shared_ptr<Storage> Storage::allocate(std::size_t bytes) {
  // aligned_alloc wants a size that is a multiple of the alignment; zero bytes still
  // get a real (unique) pointer so that views of empty tensors are well defined.
  const std::size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  SPOOL_CHECK(rounded >= bytes, InvalidArgument, "cannot allocate ", bytes, " bytes");
  void* p = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  SPOOL_CHECK(p != nullptr, InvalidArgument, "out of memory allocating ", bytes, " bytes");
  // One allocation for the bytes, one for Storage and its control block together:
  // records and parsed features create many small tensors.
  return std::make_shared<Storage>(Passkey{}, static_cast<std::byte*>(p), bytes, nullptr);
}

std::shared_ptr<Storage> Storage::wrap(void* ptr, std::size_t bytes, std::function<void(void*)> deleter) {
  SPOOL_CHECK(deleter != nullptr, InvalidArgument, "Storage::wrap: a deleter is required (use a no-op for borrowed memory)");
  return std::make_shared<Storage>(Passkey{}, static_cast<std::byte*>(ptr), bytes, std::move(deleter));
}

Storage::~Storage() {
  if (deleter_) deleter_(data_);
  else std::free(data_);
}

}  // namespace spool
