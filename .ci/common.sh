# Sourced by the .ci/ phase scripts: the timing stamps and the flags their builds share.
# Stamps count seconds from the start of .ci/run (SPOOL_CI_STARTED), or from the start
# of the phase when a script runs alone.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs=$(nproc)
export SPOOL_CI_STARTED=${SPOOL_CI_STARTED:-$(date +%s)}
stamp() { echo "== $* ($(($(date +%s) - SPOOL_CI_STARTED)) s)"; }

# Every build compiles the test programs as unity builds (SPOOL_UNITY_TESTS, see
# tests/CMakeLists.txt: a third of their compile time; a developer's default build still
# compiles each test file alone).
unity_tests=(-DSPOOL_UNITY_TESTS=ON)

# Command (1) compiles at -O2 as RelWithDebInfo does, with line tables only (-g1): full
# debug info (-g) is about 40 % of the compile time, and backtraces still name files
# and lines.
release_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG")

# Sanitizer builds compile at -O1 with line tables only (-g1): half the compile time of
# -O2 -g, and the reports still name files and lines.
sanitizer_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG")
