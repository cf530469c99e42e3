// spool index: writes FILE.idx beside each FILE, DALI's tfrecord2idx format.
#include <iostream>
#include <string>

#include "cli_common.h"
#include "spool/data/io/record_index.h"
#include "subcommands.h"

namespace spool::cli {
namespace {

namespace po = boost::program_options;

constexpr std::string_view kUsage =
    "usage: spool index [--compression auto|none|zlib|gzip] FILE...\n"
    "\n"
    "Writes FILE.idx for each TFRecord FILE: one \"offset size\" line per record, where\n"
    "offset is that of the frame header and size that of the whole frame (16 bytes of\n"
    "framing + the payload), DALI's tfrecord2idx format. For a compressed FILE the\n"
    "offsets count bytes of the uncompressed stream. The index appears whole or not at\n"
    "all (written to a temporary file, then renamed); a corrupt FILE gets no index and\n"
    "exit status 1. Prints \"FILE.idx: N records\" per file.";

}  // namespace

int run_index(const Args& args) {
  return run_command("index", [&] {
    po::options_description options("options");
    add_compression_option(options);
    po::variables_map vm;
    if (!parse_args(args, options, vm, kUsage, /*need_files=*/true)) return kExitOk;
    const auto record_options = data::RecordOptions().compression(compression_of(vm));
    for (const std::string& file : files_of(vm)) {
      const data::RecordIndex index = data::RecordIndex::build(file, record_options);
      const std::string path = data::RecordIndex::default_path(file);
      index.save(path);
      std::cout << path << ": " << index.size() << " records\n";
    }
    return kExitOk;
  });
}

}  // namespace spool::cli
