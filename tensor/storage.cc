#include "spool/tensor/storage.h"

#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

#include "spool/tensor/error.h"
#include "spool/tensor/graph_hooks.h"
#include "spool/tensor/recent_blocks.h"

namespace spool {

namespace {

// Where the allocator below put the bytes that follow the control block.
struct TrailingBlock {
  std::byte* trailing = nullptr;
};

// The allocator allocate() hands std::allocate_shared: one malloc for the control block
// (which holds the Storage) and `trailing` bytes after it, where the tensor's bytes go.
// A tensor was two mallocs (its Storage and its bytes); small tensors are made per
// element of every pipeline and per op of every step, often freed on another thread.
template <typename T>
struct WithTrailingBytes {
  using value_type = T;
  std::size_t trailing;
  TrailingBlock* block;
  WithTrailingBytes(std::size_t t, TrailingBlock* b) : trailing(t), block(b) {}
  template <typename U>
  WithTrailingBytes(const WithTrailingBytes<U>& other) : trailing(other.trailing), block(other.block) {}  // NOLINT
  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T) + trailing;
    auto* p = static_cast<std::byte*>(detail::take_recent_block(bytes));
    if (p == nullptr) p = static_cast<std::byte*>(std::malloc(bytes));
    if (p == nullptr) throw std::bad_alloc();
    block->trailing = p + n * sizeof(T);
    return reinterpret_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (!detail::keep_recent_block(p, n * sizeof(T) + trailing)) std::free(p);
  }
  template <typename U>
  bool operator==(const WithTrailingBytes<U>& other) const {
    return trailing == other.trailing;
  }
};

thread_local detail::GraphHooks* tls_graph_hooks = nullptr;

}  // namespace

namespace detail {

GraphHooks* graph_hooks() { return tls_graph_hooks; }

GraphHooks* set_graph_hooks(GraphHooks* hooks) { return std::exchange(tls_graph_hooks, hooks); }

void note_host_read(const Storage* storage, const char* what) {
  if (tls_graph_hooks != nullptr && storage != nullptr) [[unlikely]]
    tls_graph_hooks->host_read(*storage, what);
}

std::shared_ptr<Storage> allocate_unhooked(std::size_t bytes) {
  GraphHooks* hooks = std::exchange(tls_graph_hooks, nullptr);
  struct Restore {
    GraphHooks* hooks;
    ~Restore() { tls_graph_hooks = hooks; }
  } restore{hooks};
  return Storage::allocate(bytes);
}

}  // namespace detail

std::shared_ptr<Storage> Storage::allocate(std::size_t bytes) {
  if (tls_graph_hooks != nullptr) [[unlikely]]
    return tls_graph_hooks->allocate(bytes);
  // Room to align by hand: aligned_alloc's memalign path splits chunks and costs
  // several times a plain malloc, and parsed records make many small tensors.
  SPOOL_CHECK(bytes <= SIZE_MAX - kAlignment - 4096, InvalidArgument, "cannot allocate ", bytes, " bytes");
  TrailingBlock block;
  std::shared_ptr<Storage> storage;
  try {
    storage = std::allocate_shared<Storage>(WithTrailingBytes<Storage>(bytes + kAlignment, &block), Passkey{},
                                            nullptr, bytes, nullptr);
  } catch (const std::bad_alloc&) {
    SPOOL_THROW(InvalidArgument, "out of memory allocating ", bytes, " bytes");
  }
  const auto addr = reinterpret_cast<std::uintptr_t>(block.trailing);
  storage->data_ = reinterpret_cast<std::byte*>((addr + kAlignment - 1) / kAlignment * kAlignment);
  return storage;
}

std::shared_ptr<Storage> Storage::wrap(void* ptr, std::size_t bytes, std::function<void(void*)> deleter) {
  SPOOL_CHECK(deleter != nullptr, InvalidArgument, "Storage::wrap: a deleter is required (use a no-op for borrowed memory)");
  return std::make_shared<Storage>(Passkey{}, static_cast<std::byte*>(ptr), bytes, std::move(deleter));
}

void Storage::rebind(std::byte* data, std::function<void(void*)> deleter) {
  SPOOL_CHECK(deleter_ != nullptr && deleter != nullptr, InternalError,
              "Storage::rebind: only wrapped storages move (their bytes are not the control block's)");
  deleter_(data_);
  data_ = data;
  deleter_ = std::move(deleter);
}

Storage::~Storage() {
  if (deleter_) deleter_(data_);  // allocate()'s bytes go with the control block
}

}  // namespace spool
