// Internal: each thread's few most recently freed large blocks, handed back to the next
// allocation of the same size (Storage::allocate).
//
// A pipeline makes a batch of the same shape over and over and frees the one before.
// mimalloc (the default allocator, cmake/SpoolAllocator.cmake) hands out a page's free
// blocks in turn rather than the one just freed, so each batch lands in memory the
// caches no longer hold, and every line written is first read from memory. The block
// just freed is still cached (bench_pipeline fashion_mnist: the gather and the
// normalising map each write a new batch per step).
// Thread-safety: per thread (at most a few MiB each); a block freed on one thread may be reused on it only.
#pragma once

#include <cstddef>

namespace spool::detail {

// A block of exactly `bytes` this thread kept, or null.
void* take_recent_block(std::size_t bytes);
// Keeps `block` (of `bytes`, from std::malloc) for reuse; false when it is not kept
// (too small or too large to be worth it), and the caller frees it.
bool keep_recent_block(void* block, std::size_t bytes);

}  // namespace spool::detail
