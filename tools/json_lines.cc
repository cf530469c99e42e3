#include "json_lines.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace spool::cli {

namespace json = boost::json;

namespace {

// Length of the well-formed UTF-8 sequence at s[i], or 0 if it is ill-formed there
// (overlong forms, surrogates and code points past U+10FFFF included).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const std::uint8_t b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t n = 0;
  std::uint8_t lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    n = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    if (b0 == 0xe0) lo = 0xa0;
    if (b0 == 0xed) hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    if (b0 == 0xf0) lo = 0x90;
    if (b0 == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return n;
}

void write_value(std::ostream& out, const json::value& value) {
  switch (value.kind()) {
    case json::kind::object: {
      out << '{';
      bool first = true;
      for (const auto& member : value.get_object()) {
        if (!first) out << ',';
        first = false;
        out << json::serialize(json::string(utf8_or_replaced(member.key()))) << ':';
        write_value(out, member.value());
      }
      out << '}';
      return;
    }
    case json::kind::array: {
      out << '[';
      bool first = true;
      for (const json::value& element : value.get_array()) {
        if (!first) out << ',';
        first = false;
        write_value(out, element);
      }
      out << ']';
      return;
    }
    case json::kind::string:
      out << json::serialize(json::string(utf8_or_replaced(value.get_string())));
      return;
    case json::kind::double_: {
      // float_value() only stores finite float32 values as doubles.
      const auto f = static_cast<float>(value.get_double());
      if (f == 0 && std::signbit(f)) {
        out << "-0.0";  // "-0" reads back as the integer 0 in most parsers, losing the sign
        return;
      }
      char buffer[32];
      const auto result = std::to_chars(buffer, buffer + sizeof buffer, f);
      out.write(buffer, result.ptr - buffer);
      return;
    }
    default:
      out << json::serialize(value);
      return;
  }
}

}  // namespace

std::string utf8_or_replaced(std::string_view bytes) {
  std::string out;
  std::size_t i = 0;
  while (i < bytes.size()) {
    const std::size_t n = utf8_sequence_length(bytes, i);
    if (n > 0) {
      out.append(bytes.substr(i, n));
      i += n;
      continue;
    }
    out.append("\xef\xbf\xbd");  // U+FFFD
    ++i;
  }
  return out;
}

json::value float_value(float value) {
  if (std::isnan(value)) return json::string("NaN");
  if (std::isinf(value)) return json::string(value > 0 ? "Infinity" : "-Infinity");
  return json::value(static_cast<double>(value));
}

void write_json_line(std::ostream& out, const json::value& value) {
  write_value(out, value);
  out << '\n';
}

}  // namespace spool::cli
