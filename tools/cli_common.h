// What every `spool` subcommand shares: option parsing that refuses what it does not
// know, the exit-code contract, and the one-line error report.
//
//   int run_inspect(const Args& args) {
//     return run_command("inspect", [&] { ...; return kExitOk; });
//   }
//
// Exit codes are a contract with scripts: 0 all sound, 1 bad data or I/O (a
// spool::Error), 2 bad usage (unknown option, bad value, missing FILE).
// Thread-safety: single-threaded CLI code.
#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "spool/data/io/compression.h"

namespace spool::cli {

using Args = std::vector<std::string>;  // the arguments after the subcommand's name

inline constexpr int kExitOk = 0;
inline constexpr int kExitDataError = 1;
inline constexpr int kExitUsage = 2;

// Thrown for bad usage; run_command turns it into exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by a worker of an mpirun job that stops because another worker failed and
// reports why (job_workers.h): run_command returns `code` and prints nothing, so the
// job's log holds one message per cause.
struct QuietExit {
  int code = kExitDataError;
};

// Runs `body`, printing "spool COMMAND: message" on stderr for any error it throws and
// mapping it to the exit-code contract above.
int run_command(std::string_view command, const std::function<int()>& body);

// Parses `args` against `options` (plus -h/--help, which this adds) with the FILE...
// operands collected under "file". Returns false when --help was asked for, after
// printing `usage` and the options to stdout. Unknown options, bad values and
// missing FILE operands (need_files) or any operand (!need_files) throw UsageError or
// a program_options error (exit 2).
bool parse_args(const Args& args, boost::program_options::options_description& options,
                boost::program_options::variables_map& vm, std::string_view usage, bool need_files);

// The FILE... operands parse_args collected.
std::vector<std::string> files_of(const boost::program_options::variables_map& vm);

// Adds --compression auto|none|zlib|gzip (default auto) to `options`, and reads it
// back (an unknown name is a UsageError).
void add_compression_option(boost::program_options::options_description& options);
data::Compression compression_of(const boost::program_options::variables_map& vm);

}  // namespace spool::cli
