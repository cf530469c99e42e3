// JSON Lines output for the spool command, on top of Boost.JSON values.
//
//   boost::json::object o{{"file", utf8_or_replaced(path)}, {"length", 784}};
//   write_json_line(std::cout, o);   // one line, '\n'-terminated
//
// Boost.JSON escapes quotes and control characters but passes other bytes through
// and prints doubles as "1.0000000149011612E-1"; this writer adds the two things a
// JSON consumer needs from us:
//  * strings are valid UTF-8: an ill-formed sequence becomes U+FFFD (tf.train.Example
//    keys are protobuf strings, but files in the wild hold arbitrary bytes);
//  * numbers that hold a float32 are written in the shortest form that reads back as
//    the same float32 ("0.1", not 0.10000000149011612), and NaN / ±Infinity, which
//    JSON cannot express, as the strings "NaN", "Infinity", "-Infinity" (protobuf's
//    JSON mapping for float).
// Every double in a value given to write_json_line must therefore be a float32 value.
// Thread-safety: pure functions.
#pragma once

#include <boost/json.hpp>
#include <ostream>
#include <string>
#include <string_view>

namespace spool::cli {

// `bytes` unchanged when it is valid UTF-8, else with each byte that does not start
// a well-formed sequence replaced by U+FFFD.
std::string utf8_or_replaced(std::string_view bytes);

// The JSON number (or string, for non-finite values) for a float32.
boost::json::value float_value(float value);

void write_json_line(std::ostream& out, const boost::json::value& value);

}  // namespace spool::cli
