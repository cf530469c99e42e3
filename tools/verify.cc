// spool verify: reads every frame of each file and checks both CRCs, reporting each
// problem as "FILE: record #I at offset O: WHAT".
#include <cstdint>
#include <iostream>
#include <string>

#include "cli_common.h"
#include "spool/data/io/tfrecord_reader.h"
#include "subcommands.h"

namespace spool::cli {
namespace {

namespace po = boost::program_options;

constexpr std::string_view kUsage =
    "usage: spool verify [--all] [--compression auto|none|zlib|gzip] FILE...\n"
    "\n"
    "Reads every record of each TFRecord FILE, checking the framing, both CRC-32C\n"
    "checksums of every record and, for compressed files, the zlib/gzip stream.\n"
    "A sound file prints one line on stdout:\n"
    "  FILE: ok, N records, compression C\n"
    "The first problem prints, on stdout,\n"
    "  FILE: record #I at offset O: WHAT\n"
    "and verify stops with exit status 1. I counts the good records before the problem\n"
    "(the index the bad record would have had) and O is the byte offset of its frame in\n"
    "the uncompressed stream. With --all, verify skips each bad stretch (resuming at the\n"
    "next frame whose length CRC checks out), reports every problem, ends each file\n"
    "with a line\n"
    "  FILE: P problems, N good records, compression C\n"
    "(or the 'ok' line), and ends with\n"
    "  total: F files, N good records, P problems\n"
    "Exit status: 0 when every file is sound, 1 on any problem or I/O error.";

struct FileResult {
  std::uint64_t good_records = 0;
  std::uint64_t problems = 0;
};

FileResult verify_file(const std::string& file, const data::RecordOptions& options, bool all) {
  data::TFRecordReader reader(file, options);
  FileResult result;
  std::size_t reported = 0;
  while (true) {
    const bool more = reader.next().has_value();
    for (; reported < reader.corruptions().size(); ++reported) {
      const data::CorruptionReport& report = reader.corruptions()[reported];
      std::cout << file << ": record #" << report.record_index << " at offset " << report.offset << ": "
                << report.what << '\n';
      ++result.problems;
      if (!all) return result;
    }
    if (!more) break;
    ++result.good_records;
  }
  const std::string compression(data::compression_name(reader.compression()));
  if (result.problems == 0) {
    std::cout << file << ": ok, " << result.good_records << " records, compression " << compression << '\n';
  } else {
    std::cout << file << ": " << result.problems << " problems, " << result.good_records
              << " good records, compression " << compression << '\n';
  }
  return result;
}

}  // namespace

int run_verify(const Args& args) {
  return run_command("verify", [&] {
    po::options_description options("options");
    options.add_options()("all", "report every problem, not just the first");
    add_compression_option(options);
    po::variables_map vm;
    if (!parse_args(args, options, vm, kUsage, /*need_files=*/true)) return kExitOk;
    const bool all = vm.count("all") > 0;
    // Skipping is how the reader reports a problem and goes on; without --all we stop
    // at the first report, so the policy only decides what happens after it.
    const auto options_for_reader = data::RecordOptions()
                                        .compression(compression_of(vm))
                                        .corruption_policy(data::CorruptionPolicy::kSkipRecord);
    const std::vector<std::string> files = files_of(vm);
    FileResult total;
    for (const std::string& file : files) {
      const FileResult result = verify_file(file, options_for_reader, all);
      total.good_records += result.good_records;
      total.problems += result.problems;
      if (!all && result.problems > 0) break;
    }
    if (all) {
      std::cout << "total: " << files.size() << " files, " << total.good_records << " good records, "
                << total.problems << " problems\n";
    }
    std::cout.flush();
    return total.problems == 0 ? kExitOk : kExitDataError;
  });
}

}  // namespace spool::cli
