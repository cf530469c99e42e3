// The subcommands main() dispatches to, one per file. Each returns the exit code.
#pragma once

#include "cli_common.h"

namespace spool::cli {

int run_inspect(const Args& args);  // inspect.cc
int run_verify(const Args& args);   // verify.cc
int run_index(const Args& args);    // index.cc
int run_demo(const Args& args);     // demo.cc
int run_bench(const Args& args);    // bench.cc
int run_convert(const Args& args);  // convert.cc
int run_train(const Args& args);    // train.cc

}  // namespace spool::cli
