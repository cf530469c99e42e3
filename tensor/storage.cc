#include "spool/tensor/storage.h"

#include <cstdint>
#include <cstdlib>
#include <new>

#include "spool/tensor/error.h"

namespace spool {

std::shared_ptr<Storage> Storage::allocate(std::size_t bytes) {
  // malloc with room to align by hand: aligned_alloc's memalign path splits chunks and
  // costs several times a plain malloc, and parsed records make many small tensors.
  SPOOL_CHECK(bytes <= SIZE_MAX - kAlignment, InvalidArgument, "cannot allocate ", bytes, " bytes");
  void* base = std::malloc(bytes + kAlignment);
  SPOOL_CHECK(base != nullptr, InvalidArgument, "out of memory allocating ", bytes, " bytes");
  const auto addr = reinterpret_cast<std::uintptr_t>(base);
  auto* data = reinterpret_cast<std::byte*>((addr + kAlignment - 1) / kAlignment * kAlignment);
  // One allocation for Storage and its control block together.
  return std::make_shared<Storage>(Passkey{}, data, bytes, nullptr, base);
}

std::shared_ptr<Storage> Storage::wrap(void* ptr, std::size_t bytes, std::function<void(void*)> deleter) {
  SPOOL_CHECK(deleter != nullptr, InvalidArgument, "Storage::wrap: a deleter is required (use a no-op for borrowed memory)");
  return std::make_shared<Storage>(Passkey{}, static_cast<std::byte*>(ptr), bytes, std::move(deleter));
}

Storage::~Storage() {
  if (deleter_) deleter_(data_);
  else std::free(base_);
}

}  // namespace spool
