// Process-wide glibc malloc settings for streaming many short-lived tensors.
//
//   int main() { spool::tune_malloc_for_streaming(); ... }   // before the first pipeline
//
// A pipeline allocates and frees tens of thousands of buffers a second (slices,
// normalised images, batches). With glibc's defaults the heap top is trimmed back to
// the kernel (128 KiB threshold) and grown again over and over, and every buffer of
// 128 KiB or more is its own mmap; each cycle costs system calls and page faults, which
// are dear on a virtual machine: an in-memory input pipeline can run at half speed
// (docs/experiments.md; bench_pipeline and bench_training run with these settings,
// tuned_main.cc). The settings:
// keep up to 256 MiB of freed heap, grow the heap 64 MiB at a time, and serve blocks
// below 32 MiB from the heap. The cost is resident memory that is not returned to the
// kernel until exit (bounded by the peak the program reached).
// The `spool` command and the benchmarks call it first thing; it matters only in a
// -DSPOOL_ALLOCATOR=glibc build (cmake/SpoolAllocator.cmake): by default they run on
// mimalloc, and then it does nothing. A library cannot know whether its host wants it,
// so spool never calls it on its own: an embedding service on glibc malloc decides (or
// uses mimalloc, jemalloc or tcmalloc, which behave like this already).
// No effect on other C libraries. Thread-safety: call it before starting threads.
#pragma once

namespace spool {

// Returns false, changing nothing, when glibc's malloc is not the one the program
// calls: another C library, or another malloc linked or preloaded in front of glibc's
// (mimalloc, jemalloc, a sanitizer's).
bool tune_malloc_for_streaming();

}  // namespace spool
