#include "cli_common.h"

#include <exception>
#include <iostream>

#include "spool/tensor/error.h"

namespace spool::cli {

namespace po = boost::program_options;

int run_command(std::string_view command, const std::function<int()>& body) {
  const auto report = [&](const char* what, int code) {
    std::cerr << "spool";
    if (!command.empty()) std::cerr << ' ' << command;
    std::cerr << ": " << what << '\n';
    return code;
  };
  try {
    return body();
  } catch (const QuietExit& e) {
    return e.code;
  } catch (const UsageError& e) {
    return report(e.what(), kExitUsage);
  } catch (const po::error& e) {
    return report(e.what(), kExitUsage);
  } catch (const spool::InvalidArgument& e) {
    // The library rejects bad option values (an unknown compression) this way too.
    return report(e.what(), kExitUsage);
  } catch (const spool::Error& e) {
    return report(e.what(), kExitDataError);
  } catch (const std::exception& e) {
    return report(e.what(), kExitDataError);
  }
}

bool parse_args(const Args& args, po::options_description& options, po::variables_map& vm,
                std::string_view usage, bool need_files) {
  options.add_options()("help,h", "print this help and exit");
  po::options_description hidden;
  hidden.add_options()("file", po::value<std::vector<std::string>>(), "input files");
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("file", -1);

  // No allow_unregistered(): an unknown option is an error, never ignored.
  po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
  if (vm.count("help") > 0) {
    std::cout << usage << "\n\n" << options;
    return false;
  }
  po::notify(vm);
  if (need_files && vm.count("file") == 0) throw UsageError("no FILE given (see --help)");
  if (!need_files && vm.count("file") > 0) {
    throw UsageError("unexpected operand '" + vm["file"].as<std::vector<std::string>>().front() + "' (see --help)");
  }
  return true;
}

std::vector<std::string> files_of(const po::variables_map& vm) {
  if (vm.count("file") == 0) return {};
  return vm["file"].as<std::vector<std::string>>();
}

void add_compression_option(po::options_description& options) {
  options.add_options()("compression", po::value<std::string>()->default_value("auto")->value_name("C"),
                        "auto|none|zlib|gzip; auto looks at the first bytes of each file");
}

data::Compression compression_of(const po::variables_map& vm) {
  const std::string name = vm["compression"].as<std::string>();
  // The library also accepts TensorFlow's spellings ("GZIP", ""); the command's
  // contract is the four lower-case names.
  if (name != "auto" && name != "none" && name != "zlib" && name != "gzip") {
    throw UsageError("--compression '" + name + "' is not one of auto, none, zlib, gzip");
  }
  return data::parse_compression(name);
}

}  // namespace spool::cli
