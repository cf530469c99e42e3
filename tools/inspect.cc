// spool inspect: one line per record, readable or JSON Lines, with a summary of the
// record's tf.train.Example features.
#include <cstdint>
#include <iostream>
#include <sstream>
#include <string>

#include "cli_common.h"
#include "json_lines.h"
#include "spool/data/io/feature_view.h"
#include "spool/data/io/tfrecord_reader.h"
#include "subcommands.h"

namespace spool::cli {
namespace {

namespace json = boost::json;
namespace po = boost::program_options;

constexpr std::size_t kJsonValues = 8;  // values shown per feature in JSON
constexpr std::size_t kTextValues = 3;  // and in the readable line

constexpr std::string_view kUsage =
    "usage: spool inspect [--json] [--limit N] [--compression auto|none|zlib|gzip] FILE...\n"
    "\n"
    "Prints one line per record of each TFRecord FILE: the file, the record's index,\n"
    "the offset of its frame (in the uncompressed stream) and its payload length,\n"
    "then a summary of its tf.train.Example features.\n"
    "\n"
    "Readable form (the default), features in the order the record stores them:\n"
    "  FILE #INDEX offset=O length=L KEY=KIND[COUNT](V1,V2,V3,...) ...\n"
    "where bytes features show the byte lengths of their first values (\"784B\"), and\n"
    "a record that is not a tf.train.Example shows \"(not a tf.train.Example)\".\n"
    "\n"
    "--json prints JSON Lines, one object per record:\n"
    "  {\"file\":F,\"index\":I,\"offset\":O,\"length\":L,\n"
    "   \"features\":{KEY:{\"type\":\"bytes\"|\"float\"|\"int64\",\"count\":N,\"values\":[...]}}}\n"
    "\"values\" holds the first <= 8 values (for bytes: their byte lengths). A Feature\n"
    "with no kind set (TensorFlow writes these for missing values) is\n"
    "{\"type\":null,\"count\":0,\"values\":[]}. \"features\" is absent when the payload\n"
    "does not decode as a tf.train.Example. Floats are written in the shortest form\n"
    "that reads back as the same float32; NaN and infinities as the strings \"NaN\",\n"
    "\"Infinity\", \"-Infinity\". Bytes that are not UTF-8 (in keys or file names)\n"
    "become U+FFFD. A key stored twice shows its last value, as protobuf reads it.\n"
    "\n"
    "Exit status: 0; 1 when a file cannot be read or a frame is corrupt (the records\n"
    "before it have been printed); 2 for bad usage.";

// Non-printable bytes as \xNN, so one record stays one line.
std::string printable(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f && c != '\\') {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xf]);
    }
  }
  return out;
}

json::object feature_json(const data::FeatureView& feature) {
  json::array values;
  json::value type = nullptr;
  switch (feature.kind()) {
    case data::FeatureKind::kBytes:
      for (std::string_view v : feature.bytes(kJsonValues)) values.emplace_back(v.size());
      break;
    case data::FeatureKind::kFloat:
      for (float v : feature.floats(kJsonValues)) values.push_back(float_value(v));
      break;
    case data::FeatureKind::kInt64:
      for (std::int64_t v : feature.int64s(kJsonValues)) values.emplace_back(v);
      break;
    case data::FeatureKind::kNone:
      break;
  }
  if (feature.kind() != data::FeatureKind::kNone) type = json::string(data::feature_kind_name(feature.kind()));
  return json::object{{"type", type}, {"count", feature.size()}, {"values", std::move(values)}};
}

std::string feature_text(const data::FeatureView& feature) {
  std::ostringstream out;
  out << data::feature_kind_name(feature.kind()) << '[' << feature.size() << ']';
  if (feature.size() == 0) return out.str();
  out << '(';
  std::size_t shown = 0;
  const auto sep = [&] { return shown++ == 0 ? "" : ","; };
  switch (feature.kind()) {
    case data::FeatureKind::kBytes:
      for (std::string_view v : feature.bytes(kTextValues)) out << sep() << v.size() << 'B';
      break;
    case data::FeatureKind::kFloat:
      for (float v : feature.floats(kTextValues)) out << sep() << v;
      break;
    case data::FeatureKind::kInt64:
      for (std::int64_t v : feature.int64s(kTextValues)) out << sep() << v;
      break;
    case data::FeatureKind::kNone:
      break;
  }
  if (feature.size() > kTextValues) out << ",...";
  out << ')';
  return out.str();
}

void print_json(const std::string& file, const data::Record& record) {
  json::object line{{"file", file}, {"index", record.index}, {"offset", record.offset}, {"length", record.size()}};
  try {
    json::object features;
    data::for_each_feature(record.view(), [&](std::string_view key, const data::FeatureView& feature) {
      features[key] = feature_json(feature);  // a repeated key: the last one wins
    });
    line["features"] = std::move(features);
  } catch (const spool::DataLossError&) {
    // Not a tf.train.Example (or a malformed one): the record is still listed.
  }
  write_json_line(std::cout, line);
}

void print_text(const std::string& file, const data::Record& record) {
  std::string summary;
  try {
    data::for_each_feature(record.view(), [&](std::string_view key, const data::FeatureView& feature) {
      summary += ' ' + printable(key) + '=' + feature_text(feature);
    });
  } catch (const spool::DataLossError&) {
    summary = " (not a tf.train.Example)";
  }
  std::cout << printable(file) << " #" << record.index << " offset=" << record.offset << " length=" << record.size()
            << summary << '\n';
}

}  // namespace

int run_inspect(const Args& args) {
  return run_command("inspect", [&] {
    po::options_description options("options");
    options.add_options()("json", "print JSON Lines instead of readable lines")(
        "limit", po::value<std::int64_t>()->value_name("N"), "print at most N records of each FILE");
    add_compression_option(options);
    po::variables_map vm;
    if (!parse_args(args, options, vm, kUsage, /*need_files=*/true)) return kExitOk;
    const bool as_json = vm.count("json") > 0;
    std::int64_t limit = -1;
    if (vm.count("limit") > 0) {
      limit = vm["limit"].as<std::int64_t>();
      if (limit < 0) throw UsageError("--limit " + std::to_string(limit) + " is negative");
    }
    const auto record_options = data::RecordOptions().compression(compression_of(vm));

    for (const std::string& file : files_of(vm)) {
      data::TFRecordReader reader(file, record_options);
      for (std::int64_t n = 0; limit < 0 || n < limit; ++n) {
        const std::optional<data::Record> record = reader.next();
        if (!record) break;
        if (as_json) print_json(file, *record);
        else print_text(file, *record);
      }
    }
    std::cout.flush();
    if (!std::cout) throw spool::IoError("cannot write to standard output");
    return kExitOk;
  });
}

}  // namespace spool::cli
