// Warnings: what the library tells a user without stopping them (TensorFlow logs the
// same cases with logging.warning), written to one replaceable sink.
//
//   spool::warn("optimizer: gradients do not exist for variables 'w'");
//   spool::WarningSink previous = spool::set_warning_sink(
//       [&](std::string_view message) { my_log.push_back(std::string(message)); });
//
// The default sink writes "spool: warning: <message>" and a newline to stderr. A
// condition the user wants to be fatal has an option of its own that throws instead;
// a warning is never the only report of lost data.
//
// Thread-safety: warn() may be called from any thread; calls into the sink are
// serialised. set_warning_sink() swaps the sink atomically with respect to warn().
#pragma once

#include <functional>
#include <string_view>

namespace spool {

using WarningSink = std::function<void(std::string_view message)>;

void warn(std::string_view message);
// Installs `sink` (an empty function restores the default) and returns the previous one.
WarningSink set_warning_sink(WarningSink sink);

}  // namespace spool
