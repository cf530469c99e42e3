// libFuzzer target: arbitrary bytes as a tf.train.SequenceExample through the owning
// decoder (decode_sequence_example), the zero-copy walks (for_each_context_feature,
// for_each_feature_list) and parse_sequence_example against a spec made from what
// decoded: every context feature and every feature list as VarLen of its kind, and
// as FixedLen too where every step holds the same number of values.
//
// Contract checked: malformed bytes throw spool::Error (anything else, a crash or a
// sanitizer report is a bug); whatever decodes re-encodes to bytes that decode to an
// equal value and encode the same again; the walks of a record that decodes do not
// throw and, with a later key replacing an earlier one, see the decoded value; and
// parse_sequence_example with the spec taken from it succeeds and yields the decoded
// values, step counts and lengths.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "spool/data/io/example.h"
#include "spool/data/io/feature_spec.h"
#include "spool/data/io/parse_example.h"
#include "spool/data/io/sequence_example.h"
#include "spool/tensor/error.h"

namespace {

using namespace spool::data;
using spool::Tensor;
using spool::fuzz::check;

std::string bytes_of(const Tensor& t) {
  const Tensor c = t.contiguous();
  return std::string(static_cast<const char*>(c.raw_data()), static_cast<std::size_t>(c.numel()) * c.element_size());
}

std::vector<std::int64_t> int64s_of(const Tensor& t) {
  const Tensor c = t.contiguous();
  return std::vector<std::int64_t>(c.data<std::int64_t>(), c.data<std::int64_t>() + c.numel());
}

// A feature's values as parse_example lays them out (bytes concatenated), and for
// bytes their lengths.
void append_values(const Feature& f, std::string& values, std::vector<std::int64_t>& lengths) {
  for (std::int64_t v : f.int64_list) values.append(reinterpret_cast<const char*>(&v), 8);
  for (float v : f.float_list) values.append(reinterpret_cast<const char*>(&v), 4);
  for (const std::string& v : f.bytes_list) {
    values += v;
    lengths.push_back(static_cast<std::int64_t>(v.size()));
  }
}

void check_walks(std::string_view bytes, const SequenceExample& decoded) {
  FeatureMap context;
  FeatureListMap lists;
  for_each_context_feature(bytes, [&](std::string_view key, const FeatureView& view) {
    context.insert_or_assign(std::string(key), Feature::from_view(view));
  });
  for_each_feature_list(bytes, [&](std::string_view key, const FeatureListView& list) {
    std::vector<Feature> steps;
    for (const FeatureView& step : list.steps()) steps.push_back(Feature::from_view(step));
    lists.insert_or_assign(std::string(key), std::move(steps));
  });
  check(context == decoded.context, "the context walk sees the decoded context");
  check(lists == decoded.feature_lists, "the feature-list walk sees the decoded lists");
}

// The kind all steps share (kNone when none has one); false when two steps differ.
bool common_kind(const std::vector<Feature>& steps, FeatureKind& kind) {
  kind = FeatureKind::kNone;
  for (const Feature& step : steps) {
    if (step.kind == FeatureKind::kNone) continue;
    if (kind != FeatureKind::kNone && step.kind != kind) return false;
    kind = step.kind;
  }
  return true;
}

VarLen var_len(FeatureKind kind) {
  return kind == FeatureKind::kFloat ? VarLen::float32() : kind == FeatureKind::kBytes ? VarLen::bytes() : VarLen::int64();
}

FixedLen fixed_len(FeatureKind kind, std::int64_t n) {
  const spool::Shape shape{n};
  return kind == FeatureKind::kFloat   ? FixedLen::float32(shape)
         : kind == FeatureKind::kBytes ? FixedLen::bytes(shape)
                                       : FixedLen::int64(shape);
}

void check_parse(std::string_view bytes, const SequenceExample& decoded, bool fixed) {
  FeatureSpec context, lists;
  for (const auto& [key, feature] : decoded.context) {
    if (feature.kind != FeatureKind::kNone) context.add(key, var_len(feature.kind));
  }
  for (const auto& [key, steps] : decoded.feature_lists) {
    FeatureKind kind;
    if (!common_kind(steps, kind)) continue;
    bool same_size = !steps.empty() && kind != FeatureKind::kNone;
    for (const Feature& step : steps) same_size = same_size && step.kind == kind && step.size() == steps[0].size();
    if (fixed && same_size) {
      lists.add(key, fixed_len(kind, static_cast<std::int64_t>(steps[0].size())));
    } else {
      lists.add(key, var_len(kind));
    }
  }
  const ParsedSequenceExample parsed = parse_sequence_example(bytes, context, lists);
  for (std::size_t i = 0; i < context.size(); ++i) {
    const Feature& f = decoded.context.find(context.entry(i).key)->second;
    std::string values;
    std::vector<std::int64_t> lengths;
    append_values(f, values, lengths);
    check(bytes_of(parsed.context.feature(i).values) == values, "context values");
    if (f.kind == FeatureKind::kBytes) check(int64s_of(parsed.context.feature(i).byte_lengths) == lengths, "context lengths");
  }
  for (std::size_t i = 0; i < lists.size(); ++i) {
    const FeatureSpecEntry& e = lists.entry(i);
    const std::vector<Feature>& steps = decoded.feature_lists.find(e.key)->second;
    const ParsedFeature& p = parsed.feature_lists.feature(i);
    std::string values;
    std::vector<std::int64_t> lengths, rows;
    for (const Feature& step : steps) {
      append_values(step, values, lengths);
      rows.push_back(static_cast<std::int64_t>(step.size()));
    }
    check(bytes_of(p.values) == values, "feature list values");
    if (e.kind == FeatureKind::kBytes) check(int64s_of(p.byte_lengths) == lengths, "feature list lengths");
    if (e.fixed) {
      check(e.kind == FeatureKind::kBytes ? p.byte_lengths.dim(0) == static_cast<std::int64_t>(steps.size())
                                          : p.values.dim(0) == static_cast<std::int64_t>(steps.size()),
            "FixedLen: one row per step");
    } else {
      check(int64s_of(p.row_lengths) == rows, "VarLen: the steps' sizes");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  SequenceExample decoded;
  try {
    decoded = decode_sequence_example(bytes);
  } catch (const spool::Error&) {
    // The walks may still accept a part the decoder refused; they must not crash.
    try {
      for_each_context_feature(bytes, [](std::string_view, const FeatureView&) {});
      for_each_feature_list(bytes, [](std::string_view, const FeatureListView&) {});
    } catch (const spool::Error&) {
    }
    return 0;
  }
  const std::string encoded = encode_sequence_example(decoded);
  const SequenceExample again = decode_sequence_example(encoded);
  check(again == decoded, "SequenceExample round trip");
  check(encode_sequence_example(again) == encoded, "encoding is deterministic");
  check_walks(bytes, decoded);
  check_parse(bytes, decoded, /*fixed=*/false);
  check_parse(bytes, decoded, /*fixed=*/true);
  return 0;
}
