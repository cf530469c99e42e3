// spool: the command-line tool. One subcommand per file (inspect.cc, verify.cc, ...);
// this file only dispatches.
#include <iostream>
#include <string>
#include <string_view>

#include "cli_common.h"
#include "spool/tensor/malloc_tuning.h"
#include "subcommands.h"

#ifndef SPOOL_VERSION
#define SPOOL_VERSION "unknown"
#endif

namespace {

constexpr std::string_view kUsage =
    "usage: spool <command> [options] [FILE...]\n"
    "\n"
    "commands:\n"
    "  inspect   print one line (or one JSON object) per record\n"
    "  verify    check every frame and CRC of TFRecord files\n"
    "  index     write FILE.idx, one 'offset size' line per record\n"
    "  demo      write a small TFRecord file of tf.train.Example records\n"
    "  bench     run an input pipeline and print its throughput per stage\n"
    "  convert   turn an IDX pair or a folder of images into TFRecord shards\n"
    "  train     train a CNN or MLP (Fashion-MNIST by default) and print its test accuracy\n"
    "\n"
    "spool <command> --help describes a command's options.\n"
    "spool --version prints the version.\n"
    "\n"
    "Exit status: 0 success, 1 bad data or I/O error, 2 usage error.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace spool::cli;
  spool::tune_malloc_for_streaming();  // see the header; only a -DSPOOL_ALLOCATOR=glibc build needs it
  if (argc < 2) {
    std::cerr << "spool: no command given (see spool --help)\n";
    return kExitUsage;
  }
  const std::string_view command = argv[1];
  const Args args(argv + 2, argv + argc);
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  if (command == "--version") {
    std::cout << "spool " << SPOOL_VERSION << '\n';
    return kExitOk;
  }
  if (command == "inspect") return run_inspect(args);
  if (command == "verify") return run_verify(args);
  if (command == "index") return run_index(args);
  if (command == "demo") return run_demo(args);
  if (command == "bench") return run_bench(args);
  if (command == "convert") return run_convert(args);
  if (command == "train") return run_train(args);
  std::cerr << "spool: unknown command '" << command << "' (see spool --help)\n";
  return kExitUsage;
}
