#include "spool/autodiff/graph/detail/plan_memory.h"

#include <sys/mman.h>

#include <cstdlib>

#include "spool/tensor/error.h"

namespace spool::graph::detail {
namespace {

// From this size on a block is mapped rather than taken from the heap.
constexpr std::size_t kMapped = std::size_t{1} << 16;

std::size_t rounded(std::size_t bytes) {
  const std::size_t a = Storage::kAlignment;
  return bytes == 0 ? a : (bytes + a - 1) / a * a;
}

// Memory of `size` bytes and the function that gives it back.
std::pair<void*, void (*)(void*, std::size_t)> take(std::size_t size) {
  if (size >= kMapped) {
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SPOOL_CHECK(p != MAP_FAILED, InvalidArgument, "graph mode: out of memory mapping ", size, " bytes");
    return {p, [](void* q, std::size_t n) { ::munmap(q, n); }};
  }
  void* p = std::aligned_alloc(Storage::kAlignment, size);
  SPOOL_CHECK(p != nullptr, InvalidArgument, "graph mode: out of memory allocating ", size, " bytes");
  return {p, [](void* q, std::size_t) { std::free(q); }};
}

}  // namespace

std::shared_ptr<Storage> allocate_movable(std::size_t bytes) {
  const std::size_t size = rounded(bytes);
  // Not a structured binding: clang before 16 cannot capture one in a lambda.
  const auto taken = take(size);
  return Storage::wrap(taken.first, bytes, [give_back = taken.second, size](void* q) { give_back(q, size); });
}

std::shared_ptr<std::byte[]> allocate_arena_bytes(std::size_t bytes) {
  const std::size_t size = rounded(bytes);
  const auto taken = take(size);
  return std::shared_ptr<std::byte[]>(static_cast<std::byte*>(taken.first),
                                      [give_back = taken.second, size](std::byte* q) { give_back(q, size); });
}

}  // namespace spool::graph::detail
