#include "abandoned_temporaries.h"

#include <signal.h>

#include <cerrno>
#include <filesystem>
#include <regex>

namespace spool::cli {

bool is_abandoned_temporary(const std::string& file_name) {
  static const std::regex kTemporary(".+\\.tmp-([0-9]{1,9})-[0-9]+-[0-9]+");  // a pid fits in 9 digits
  std::smatch m;
  return std::regex_match(file_name, m, kTemporary) && ::kill(static_cast<pid_t>(std::stoll(m[1].str())), 0) != 0 &&
         errno == ESRCH;
}

void remove_abandoned_temporaries(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ignored;
    if (is_abandoned_temporary(it->path().filename().string())) fs::remove(it->path(), ignored);
  }
}

}  // namespace spool::cli
