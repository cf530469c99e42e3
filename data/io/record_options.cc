#include "spool/data/io/record_options.h"

#include <algorithm>
#include <cctype>

#include "spool/tensor/error.h"

namespace spool::data {

CorruptionPolicy parse_corruption_policy(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (n == "fail") return CorruptionPolicy::kFail;
  if (n == "skip_record") return CorruptionPolicy::kSkipRecord;
  if (n == "skip_file") return CorruptionPolicy::kSkipFile;
  SPOOL_THROW(InvalidArgument, "unknown corruption policy ", quoted(std::string(name)),
              ": expected fail, skip_record or skip_file");
}

RecordOptions& RecordOptions::max_record_size(std::uint64_t bytes) {
  SPOOL_CHECK(bytes > 0, InvalidArgument, "RecordOptions::max_record_size must be > 0");
  max_record_size_ = bytes;
  return *this;
}

std::string_view corruption_policy_name(CorruptionPolicy policy) {
  switch (policy) {
    case CorruptionPolicy::kFail: return "fail";
    case CorruptionPolicy::kSkipRecord: return "skip_record";
    case CorruptionPolicy::kSkipFile: return "skip_file";
  }
  SPOOL_THROW(InvalidArgument, "invalid CorruptionPolicy value ", static_cast<int>(policy));
}

}  // namespace spool::data
