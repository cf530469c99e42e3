// Storage: a block of bytes that Tensors share.
//
//   auto owned = Storage::allocate(4096);                 // 64-byte aligned, uninitialised
//   auto adopted = Storage::wrap(ptr, n, [](void* p) { munmap(p, n); });
//
// A Storage is always held by std::shared_ptr; it is freed (or its deleter runs)
// when the last Tensor viewing it goes away. That is how a record read from a
// memory-mapped file stays valid after the reader has moved on or closed.
//
// Thread-safety: the object is immutable after creation; writing to its bytes from
// several threads at once is the caller's business.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace spool {

class Storage {
 public:
  static constexpr std::size_t kAlignment = 64;

  // Fresh, uninitialised, kAlignment-aligned bytes. Throws InvalidArgument when the
  // memory cannot be had (never std::bad_alloc escaping from a length read off disk).
  static std::shared_ptr<Storage> allocate(std::size_t bytes);
  // Adopts memory the caller allocated; `deleter(ptr)` runs when the last user goes.
  static std::shared_ptr<Storage> wrap(void* ptr, std::size_t bytes, std::function<void(void*)> deleter);

  // Public only for std::make_shared; use allocate() or wrap().
  struct Passkey {
    explicit Passkey() = default;
  };
  Storage(Passkey, std::byte* data, std::size_t size, std::function<void(void*)> deleter)
      : data_(data), size_(size), deleter_(std::move(deleter)) {}

  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();

  // Moves a wrapped storage to other bytes: the old deleter runs on the old bytes
  // and `deleter` will run on `data`. Only graph mode's buffer planner does this
  // (autodiff/graph/plan.cc), before any Tensor has read the storage's contents.
  void rebind(std::byte* data, std::function<void(void*)> deleter);

  std::byte* data() { return data_; }
  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  std::byte* data_;
  std::size_t size_;
  // Empty for allocate(), whose bytes share one malloc with the control block.
  std::function<void(void*)> deleter_;
};

}  // namespace spool
