// spool convert: whole datasets to TFRecord shards. `spool convert idx` and `spool
// convert images` live in convert_idx.cc and convert_images.cc; what they share in
// convert_job.h.
#include <iostream>
#include <string_view>

#include "convert_job.h"
#include "subcommands.h"

namespace spool::cli {

namespace {
constexpr std::string_view kUsage =
    "usage: spool convert idx --images FILE --labels FILE --out DIR [options]\n"
    "       spool convert images --from DIR --out DIR [options]\n"
    "\n"
    "Converts a whole dataset to TFRecord shards of tf.train.Example images plus a\n"
    "dataset_info.json: an IDX pair (MNIST, Fashion-MNIST) or a folder of class folders\n"
    "of PNG and JPEG files. spool convert idx --help and spool convert images --help\n"
    "give the options.\n"
    "\n";
}  // namespace

int run_convert(const Args& args) {
  const std::string_view kind = args.empty() ? std::string_view() : std::string_view(args.front());
  const Args rest = args.empty() ? Args() : Args(args.begin() + 1, args.end());
  if (kind == "idx") return run_convert_idx(rest);
  if (kind == "images") return run_convert_images(rest);
  if (kind == "--help" || kind == "-h") {
    std::cout << kUsage << kConvertOutputHelp << '\n';
    return kExitOk;
  }
  std::cerr << "spool convert: "
            << (kind.empty() ? "no source kind given" : "unknown source kind '" + std::string(kind) + "'")
            << ": expected idx or images (see spool convert --help)\n";
  return kExitUsage;
}

}  // namespace spool::cli
