#include "spool/tensor/warning.h"

#include <iostream>
#include <mutex>
#include <utility>

namespace spool {
namespace {

std::mutex& sink_mutex() {
  static std::mutex mu;
  return mu;
}
WarningSink& current_sink() {  // guarded by sink_mutex()
  static WarningSink sink;
  return sink;
}

}  // namespace

void warn(std::string_view message) {
  std::lock_guard lock(sink_mutex());
  if (current_sink()) current_sink()(message);
  else std::cerr << "spool: warning: " << message << '\n';
}

WarningSink set_warning_sink(WarningSink sink) {
  std::lock_guard lock(sink_mutex());
  return std::exchange(current_sink(), std::move(sink));
}

}  // namespace spool
