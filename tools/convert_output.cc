#include "convert_output.h"

#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>

#include "cli_common.h"
#include "spool/tensor/atomic_file.h"
#include "spool/tensor/error.h"

namespace spool::cli {

namespace fs = std::filesystem;

std::string shard_file_name(std::string_view prefix, int index, int count) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "-%05d-of-%05d.tfrecord", index, count);
  return std::string(prefix) + digits;
}

ConvertOutput::ConvertOutput(std::string dir, bool overwrite, std::vector<SplitShards> splits,
                             data::WriterOptions options)
    : dir_(std::move(dir)), overwrite_(overwrite) {
  std::error_code ec;
  if (fs::exists(dir_, ec)) {
    SPOOL_CHECK(fs::is_directory(dir_, ec), IoError, "output ", spool::quoted(dir_), " exists and is not a folder");
    if (!fs::is_empty(dir_, ec) && !overwrite_) {
      throw UsageError("output folder " + spool::quoted(dir_) + " is not empty (--overwrite replaces its contents)");
    }
  } else {
    fs::create_directories(dir_, ec);
    SPOOL_CHECK(!ec, IoError, "cannot create the output folder ", spool::quoted(dir_), ": ", ec.message());
    created_dir_ = true;
  }
  try {
    for (SplitShards& names : splits) {
      Split split{std::move(names), {}, 0};
      for (int i = 0; i < split.names.shards; ++i) {
        const fs::path path = fs::path(dir_) / shard_file_name(split.names.prefix, i, split.names.shards);
        split.writers.emplace_back(path.string(), options);
      }
      splits_.push_back(std::move(split));
    }
  } catch (...) {
    discard();  // the destructor does not run for a half-made object
    throw;
  }
}

ConvertOutput::~ConvertOutput() {
  if (!committed_) discard();
}

void ConvertOutput::write(int split, std::string_view record) {
  Split& s = splits_.at(static_cast<std::size_t>(split));
  s.writers[static_cast<std::size_t>(s.written % static_cast<std::int64_t>(s.writers.size()))].write(record);
  ++s.written;
}

boost::json::object ConvertOutput::splits_info() const {
  boost::json::object out;
  for (const Split& s : splits_) {
    boost::json::array shards;
    for (const data::TFRecordWriter& w : s.writers) {
      shards.push_back({{"file", fs::path(w.path()).filename().string()},
                        {"examples", static_cast<std::int64_t>(w.records_written())}});
    }
    out[s.names.prefix] = {{"examples", s.written}, {"shards", std::move(shards)}};
  }
  return out;
}

void ConvertOutput::commit(const boost::json::object& info) {
  try {
    for (Split& s : splits_) {
      for (data::TFRecordWriter& w : s.writers) {
        w.close();
        renamed_.push_back(w.path());
      }
    }
    const std::string info_path = (fs::path(dir_) / kDatasetInfoName).string();
    detail::AtomicFile file(info_path);
    const std::string text = boost::json::serialize(info) + "\n";
    file.write(text.data(), text.size());
    file.commit();
    committed_ = true;
  } catch (...) {
    discard();
    throw;
  }
  if (overwrite_) remove_stale_shards();
}

void ConvertOutput::discard() noexcept {
  for (Split& s : splits_) {
    for (data::TFRecordWriter& w : s.writers) w.discard();
  }
  std::error_code ec;
  for (const std::string& path : renamed_) fs::remove(path, ec);
  renamed_.clear();
  if (created_dir_) fs::remove(dir_, ec);  // only when empty
}

// Shards of an earlier run (other prefixes or shard counts) would be read as part of
// this dataset by a glob like train-*.tfrecord.
void ConvertOutput::remove_stale_shards() const {
  static const std::regex kShard("(train|validation|test)-[0-9]{5}-of-[0-9]{5}\\.tfrecord");
  std::set<std::string> written;
  for (const Split& s : splits_) {
    for (const data::TFRecordWriter& w : s.writers) written.insert(fs::path(w.path()).filename().string());
  }
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (std::regex_match(name, kShard) && written.count(name) == 0) fs::remove(it->path(), ec);
  }
}

}  // namespace spool::cli
