// libFuzzer target: arbitrary bytes through every Example entry point — the owning
// decoders, the zero-copy views, and parse_example / parse_sequence_example against a
// fixed spec and a spec the input itself chooses.
//
// Contract checked: malformed input throws spool::Error (anything else, a crash or a
// sanitizer report is a bug), and whatever decodes re-encodes to bytes that decode to
// the same value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "spool/data/io/example.h"
#include "spool/data/io/feature_spec.h"
#include "spool/data/io/feature_view.h"
#include "spool/data/io/parse_example.h"
#include "spool/data/io/sequence_example.h"
#include "spool/tensor/error.h"

namespace {

using namespace spool::data;
using spool::fuzz::check;

void read_views(std::string_view bytes) {
  std::size_t total = 0;
  const auto touch = [&](std::string_view key, const FeatureView& feature) {
    total += key.size() + feature.size();
    switch (feature.kind()) {
      case FeatureKind::kBytes:
        for (std::string_view v : feature.bytes(8)) total += v.size();
        break;
      case FeatureKind::kFloat:
        total += feature.floats(8).size();
        break;
      case FeatureKind::kInt64:
        total += feature.int64s(8).size();
        break;
      case FeatureKind::kNone:
        break;
    }
  };
  try {
    for_each_feature(bytes, touch);
  } catch (const spool::Error&) {
  }
  try {
    for_each_context_feature(bytes, touch);
    for_each_feature_list(bytes, [&](std::string_view key, const FeatureListView& list) {
      total += key.size() + list.size() + static_cast<std::size_t>(list.kind());
      for (const FeatureView& step : list.steps()) touch(key, step);
    });
  } catch (const spool::Error&) {
  }
  check(total != static_cast<std::size_t>(-1), "views");
}

void round_trip(std::string_view bytes) {
  try {
    const Example example = decode_example(bytes);
    check(decode_example(encode_example(example)) == example, "Example round trip");
  } catch (const spool::Error&) {
  }
  try {
    const SequenceExample sequence = decode_sequence_example(bytes);
    check(decode_sequence_example(encode_sequence_example(sequence)) == sequence,
          "SequenceExample round trip");
  } catch (const spool::Error&) {
  }
}

// The first byte picks a spec shape, so the fuzzer explores the parser's paths for
// every kind and for FixedLen with and without defaults.
FeatureSpec spec_from(std::uint8_t selector) {
  FeatureSpec spec;
  const std::int64_t n = selector & 3;
  if (selector & 0x04) spec.add("a", FixedLen::int64(spool::Shape{n}, -1));
  else spec.add("a", VarLen::int64());
  if (selector & 0x08) spec.add("b", FixedLen::float32(spool::Shape{n}, 0.5f));
  else spec.add("b", VarLen::float32());
  if (selector & 0x10) spec.add("c", FixedLen::bytes(spool::Shape{}, "x"));
  else if (selector & 0x20) spec.add("c", FixedLen::bytes(spool::Shape{n}));
  else spec.add("c", VarLen::bytes());
  if (selector & 0x40) spec.add("label", FixedLen::int64());
  return spec;
}

void parse(std::string_view bytes) {
  static const FeatureSpec kFixed = [] {
    FeatureSpec spec;
    spec.add("label", FixedLen::int64(spool::Shape{}, 0))
        .add("image/encoded", FixedLen::bytes(spool::Shape{}, ""))
        .add("scores", VarLen::float32())
        .add("tokens", VarLen::bytes());
    return spec;
  }();
  const FeatureSpec chosen = spec_from(bytes.empty() ? 0 : static_cast<std::uint8_t>(bytes[0]));
  const std::string_view rest = bytes.empty() ? bytes : bytes.substr(1);
  for (const FeatureSpec* spec : {&kFixed, &chosen}) {
    try {
      (void)parse_example(rest, *spec);
    } catch (const spool::Error&) {
    }
    try {
      (void)parse_example(spool::Tensor::from_bytes(rest), *spec);
    } catch (const spool::Error&) {
    }
    try {
      (void)parse_sequence_example(rest, *spec, *spec);
    } catch (const spool::Error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  read_views(bytes);
  round_trip(bytes);
  parse(bytes);
  return 0;
}
