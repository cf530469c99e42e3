// Internal: where a trace's buffers and a plan's arena get their memory.
//
// A training process keeps freed heap memory resident (tensor/malloc_tuning.h sets a
// high trim threshold, so that each step's tensors reuse the last step's pages). A
// trace allocates every buffer of a step, and the planner then frees them for the
// arena that replaces them: from the heap, those freed pages would stay resident beside
// the arena for the rest of the run (the CNN's step: 26 MiB). Large blocks are therefore
// mapped from the kernel and unmapped when freed (bench/training/train_compare.py
// measures the peak memory of a `spool train` epoch).
#pragma once

#include <cstddef>
#include <memory>

#include "spool/tensor/storage.h"

namespace spool::graph::detail {

// A wrapped Storage of `bytes` (64-byte aligned) that the planner can rebind.
std::shared_ptr<Storage> allocate_movable(std::size_t bytes);
// A plan's arena of `bytes`.
std::shared_ptr<std::byte[]> allocate_arena_bytes(std::size_t bytes);

}  // namespace spool::graph::detail
