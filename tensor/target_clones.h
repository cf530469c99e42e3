// Internal: SPOOL_AVX2_CLONES compiles a function twice, for x86-64's baseline and for
// AVX2, and picks the copy at load time (GCC's target_clones). For loops the compiler
// vectorises on its own; neither copy contracts a * b + c into an FMA (fp contraction
// is off in ISO C++ mode), so both round alike.
// SPOOL_ALWAYS_INLINE: puts a helper into each clone that calls it, so each clone gets
// its own loops.
#pragma once

// target_clones dispatches through an ifunc, whose resolver the dynamic loader runs
// before ThreadSanitizer's runtime is initialised: an instrumented resolver crashes the
// program before main. A TSan build (GCC defines __SANITIZE_THREAD__) keeps only the
// default copy; it looks for races, and both copies round alike.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define SPOOL_AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SPOOL_AVX2_CLONES
#endif

#if defined(__GNUC__)
#define SPOOL_ALWAYS_INLINE __attribute__((always_inline))
#else
#define SPOOL_ALWAYS_INLINE
#endif
