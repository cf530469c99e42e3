// libFuzzer target: a FeatureSpec and a tf.train.Example record, both from the input:
// its first byte is the length of the spec's bytes that follow (spelled as
// fuzz_inputs.h says), the rest is the record. The spec is built with FeatureSpec::add
// (a duplicate key is refused and left out), then the record goes through
// parse_example (from a string and from a Tensor), parse_sequence_example (the spec for
// both parts), and, when the spec allows it (FixedLen only, bytes of shape []), the
// per-row parser parse_example_batch runs (parse_example_row).
//
// Contract checked: malformed records and records that do not fit the spec throw
// spool::Error (anything else, a crash or a sanitizer report is a bug); what parses
// has, per spec entry in order, the kind's dtype and the spec's shape (bytes: lengths
// of that shape that add up to the values), equals what the owning decoder
// (decode_example) holds for the key or the entry's default when it has no kind; both
// parse_example overloads agree, and the row parser fails exactly when parse_example
// does and otherwise fills the same values.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "spool/data/io/example.h"
#include "spool/data/io/example_rows.h"
#include "spool/data/io/feature_spec.h"
#include "spool/data/io/parse_example.h"
#include "spool/tensor/error.h"

namespace {

using namespace spool::data;
using spool::DType;
using spool::Shape;
using spool::Tensor;
using spool::fuzz::check;

// Reads bytes from the front of `in`; 0 once it is used up.
struct ByteCursor {
  std::string_view in;
  std::uint8_t next() {
    if (in.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(in.front());
    in.remove_prefix(1);
    return b;
  }
  std::string take(std::size_t n) {
    const std::string out(in.substr(0, n));
    in.remove_prefix(out.size());
    return out;
  }
};

FeatureSpec spec_from(std::string_view bytes) {
  FeatureSpec spec;
  ByteCursor in{bytes};
  while (!in.in.empty()) {
    const std::uint8_t flags = in.next();
    const int kind = flags & 3;
    std::vector<std::int64_t> dims((flags >> 4) & 3);
    for (std::int64_t& d : dims) d = in.next() % 5;
    std::string key = in.take(in.next() % 16);
    const bool has_default = flags & 8;
    const std::uint8_t default_byte = has_default ? in.next() : 0;
    try {
      if (!(flags & 4)) {
        spec.add(std::move(key), kind == 0 ? VarLen::int64() : kind == 1 ? VarLen::float32() : VarLen::bytes());
      } else if (kind == 0) {
        spec.add(std::move(key), has_default ? FixedLen::int64(Shape(dims), static_cast<std::int8_t>(default_byte))
                                             : FixedLen::int64(Shape(dims)));
      } else if (kind == 1) {
        spec.add(std::move(key), has_default ? FixedLen::float32(Shape(dims), static_cast<std::int8_t>(default_byte) / 4.0f)
                                             : FixedLen::float32(Shape(dims)));
      } else {
        spec.add(std::move(key), has_default ? FixedLen::bytes(Shape(dims), std::string(default_byte % 4, 'd'))
                                             : FixedLen::bytes(Shape(dims)));
      }
    } catch (const spool::InvalidArgument&) {
      // A key given twice.
    }
  }
  return spec;
}

DType dtype_of(FeatureKind kind) {
  return kind == FeatureKind::kInt64 ? DType::kI64 : kind == FeatureKind::kFloat ? DType::kF32 : DType::kU8;
}

std::string bytes_of(const Tensor& t) {
  const Tensor c = t.contiguous();
  return std::string(static_cast<const char*>(c.raw_data()), static_cast<std::size_t>(c.numel()) * c.element_size());
}

bool same(const Tensor& a, const Tensor& b) {
  if (a.defined() != b.defined()) return false;
  return !a.defined() || (a.dtype() == b.dtype() && a.shape() == b.shape() && bytes_of(a) == bytes_of(b));
}

// The values an entry must come out with: the record's (as decode_example keeps them,
// the last occurrence of a key winning), else the default; as the bytes of the parsed
// values (bytes values concatenated) and, for bytes, their lengths.
struct Expected {
  std::string values;
  std::vector<std::int64_t> lengths;
};

Expected expected_values(const FeatureSpecEntry& e, const Example& decoded) {
  Expected out;
  const auto it = decoded.features.find(e.key);
  if (it == decoded.features.end() || it->second.kind == FeatureKind::kNone) {
    if (!e.fixed) return out;
    const std::int64_t int64_default = e.fixed_len.int64_default();
    const float float_default = e.fixed_len.float_default();
    const std::string& bytes_default = e.fixed_len.bytes_default();
    for (std::int64_t i = 0; i < e.numel; ++i) {
      if (e.kind == FeatureKind::kInt64) out.values.append(reinterpret_cast<const char*>(&int64_default), 8);
      if (e.kind == FeatureKind::kFloat) out.values.append(reinterpret_cast<const char*>(&float_default), 4);
      if (e.kind == FeatureKind::kBytes) out.values += bytes_default;
      out.lengths.push_back(static_cast<std::int64_t>(bytes_default.size()));
    }
    return out;
  }
  const Feature& f = it->second;
  for (std::int64_t v : f.int64_list) out.values.append(reinterpret_cast<const char*>(&v), 8);
  for (float v : f.float_list) out.values.append(reinterpret_cast<const char*>(&v), 4);
  for (const std::string& v : f.bytes_list) {
    out.values += v;
    out.lengths.push_back(static_cast<std::int64_t>(v.size()));
  }
  return out;
}

void check_parsed(const ParsedExample& parsed, const FeatureSpec& spec, const std::optional<Example>& decoded) {
  check(parsed.size() == spec.size(), "one parsed feature per spec entry");
  for (std::size_t i = 0; i < spec.size(); ++i) {
    const FeatureSpecEntry& e = spec.entry(i);
    const ParsedFeature& f = parsed.feature(i);
    check(parsed.key(i) == e.key, "spec order");
    check(f.values.dtype() == dtype_of(e.kind), "the kind's dtype");
    const bool scalar_bytes = e.kind == FeatureKind::kBytes && e.fixed && e.fixed_len.shape().rank() == 0;
    if (e.kind != FeatureKind::kBytes) {
      check(e.fixed ? f.values.shape() == e.fixed_len.shape() : f.values.rank() == 1, "numeric shape");
    } else if (!scalar_bytes) {
      check(e.fixed ? f.byte_lengths.shape() == e.fixed_len.shape() : f.byte_lengths.rank() == 1, "lengths shape");
      check(f.values.rank() == 1, "bytes values 1-D");
    }
    check(decoded.has_value(), "a record that parses decodes");
    const Expected want = expected_values(e, *decoded);
    check(bytes_of(f.values) == want.values, "the decoded values, or the default");
    if (e.kind == FeatureKind::kBytes && !scalar_bytes) {
      const Tensor lengths = f.byte_lengths.contiguous();
      const std::int64_t* p = lengths.data<std::int64_t>();
      check(std::vector<std::int64_t>(p, p + lengths.numel()) == want.lengths, "the decoded lengths");
    }
  }
}

// parse_example_row's view of the record (FixedLen only, bytes of shape []), or
// nullopt when it throws. Values as check_parsed's Expected.
std::optional<std::vector<std::string>> parse_row(std::string_view record, const FeatureSpec& spec) {
  std::vector<std::vector<std::int64_t>> ints(spec.size());
  std::vector<std::vector<float>> floats(spec.size());
  std::vector<std::string_view> views(spec.size());
  std::vector<FeatureColumn> columns(spec.size());
  for (std::size_t i = 0; i < spec.size(); ++i) {
    const auto n = static_cast<std::size_t>(spec.entry(i).numel);
    ints[i].resize(n);
    floats[i].resize(n);
    columns[i] = FeatureColumn{ints[i].data(), floats[i].data(), &views[i]};
  }
  std::vector<char> seen(spec.size());
  std::size_t hint = 0;
  try {
    parse_example_row(record, spec, ExampleRow{columns, 0, seen}, hint, RecordContext{"fuzz", 0});
  } catch (const spool::Error&) {
    return std::nullopt;
  }
  std::vector<std::string> out(spec.size());
  for (std::size_t i = 0; i < spec.size(); ++i) {
    const FeatureKind kind = spec.entry(i).kind;
    if (kind == FeatureKind::kInt64) out[i].assign(reinterpret_cast<const char*>(ints[i].data()), 8 * ints[i].size());
    if (kind == FeatureKind::kFloat) out[i].assign(reinterpret_cast<const char*>(floats[i].data()), 4 * floats[i].size());
    if (kind == FeatureKind::kBytes) out[i] = views[i];
  }
  return out;
}

bool rows_apply(const FeatureSpec& spec) {
  for (std::size_t i = 0; i < spec.size(); ++i) {
    const FeatureSpecEntry& e = spec.entry(i);
    if (!e.fixed || (e.kind == FeatureKind::kBytes && e.fixed_len.shape().rank() != 0)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string_view spec_bytes = input.substr(0, data[0]);
  const std::string record(input.substr(spec_bytes.size()));
  const FeatureSpec spec = spec_from(spec_bytes);

  std::optional<Example> decoded;
  try {
    decoded = decode_example(record);
  } catch (const spool::Error&) {
  }
  std::optional<ParsedExample> parsed;
  try {
    parsed = parse_example(record, spec);
    check_parsed(*parsed, spec, decoded);
  } catch (const spool::Error&) {
  }
  try {
    const ParsedExample viewed = parse_example(Tensor::from_bytes(record), spec);
    check(parsed.has_value(), "both overloads parse the record");
    for (std::size_t i = 0; i < spec.size(); ++i) {
      check(same(viewed.feature(i).values, parsed->feature(i).values) &&
                same(viewed.feature(i).byte_lengths, parsed->feature(i).byte_lengths),
            "both overloads agree");
    }
  } catch (const spool::Error&) {
    check(!parsed.has_value(), "both overloads refuse the record");
  }
  if (rows_apply(spec)) {
    const std::optional<std::vector<std::string>> row = parse_row(record, spec);
    check(row.has_value() == parsed.has_value(), "the row parser fails exactly when parse_example does");
    for (std::size_t i = 0; row && i < spec.size(); ++i) {
      check((*row)[i] == bytes_of(parsed->feature(i).values), "the row parser's values");
    }
  }
  try {
    (void)parse_sequence_example(record, spec, spec);
  } catch (const spool::Error&) {
  }
  return 0;
}
