// What a fuzz target does with a broken invariant: a bug in Spool, not bad input, so it
// names the invariant on stderr and traps, and libFuzzer records the input.
#pragma once

#include <cstdio>

namespace spool::fuzz {

inline void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "broken invariant: %s\n", what);
    __builtin_trap();
  }
}

}  // namespace spool::fuzz
