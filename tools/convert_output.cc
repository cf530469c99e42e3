#include "convert_output.h"

#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>

#include "abandoned_temporaries.h"
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

bool prepare_output_folder(const std::string& dir, bool overwrite) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    SPOOL_CHECK(fs::is_directory(dir, ec), IoError, "output ", spool::quoted(dir), " exists and is not a folder");
    if (!fs::is_empty(dir, ec) && !overwrite) {
      throw UsageError("output folder " + spool::quoted(dir) + " is not empty (--overwrite replaces its contents)");
    }
    return false;
  }
  fs::create_directories(dir, ec);
  SPOOL_CHECK(!ec, IoError, "cannot create the output folder ", spool::quoted(dir), ": ", ec.message());
  return true;
}

boost::json::object splits_info(const std::vector<SplitShards>& splits,
                                const std::vector<std::vector<std::int64_t>>& shard_examples) {
  boost::json::object out;
  for (std::size_t s = 0; s < splits.size(); ++s) {
    boost::json::array shards;
    std::int64_t examples = 0;
    for (int i = 0; i < splits[s].shards; ++i) {
      const std::int64_t n = shard_examples.at(s).at(static_cast<std::size_t>(i));
      shards.push_back({{"file", shard_file_name(splits[s].prefix, i, splits[s].shards)}, {"examples", n}});
      examples += n;
    }
    out[splits[s].prefix] = {{"examples", examples}, {"shards", std::move(shards)}};
  }
  return out;
}

ConvertOutput::ConvertOutput(std::string dir, bool overwrite, bool created_dir, std::vector<SplitShards> splits,
                             data::WriterOptions options, OutputShare share)
    : dir_(std::move(dir)), overwrite_(overwrite), created_dir_(created_dir), share_(share) {
  open_writers(std::move(splits), options);
}

void ConvertOutput::open_writers(std::vector<SplitShards> splits, const data::WriterOptions& options) {
  try {
    for (SplitShards& names : splits) {
      Split split{std::move(names), {}, 0};
      split.writers.resize(static_cast<std::size_t>(split.names.shards));
      for (int i = 0; i < split.names.shards; ++i) {
        if (!share_.owns(i)) continue;
        const fs::path path = fs::path(dir_) / shard_file_name(split.names.prefix, i, split.names.shards);
        split.writers[static_cast<std::size_t>(i)].emplace(path.string(), options);
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
  const Split& s = splits_.at(static_cast<std::size_t>(split));
  write_to(split, static_cast<int>(s.written % static_cast<std::int64_t>(s.writers.size())), record);
}

void ConvertOutput::write_to(int split, int shard, std::string_view record) {
  Split& s = splits_.at(static_cast<std::size_t>(split));
  std::optional<data::TFRecordWriter>& writer = s.writers.at(static_cast<std::size_t>(shard));
  SPOOL_CHECK(writer.has_value(), InternalError, "shard ", shard, " of ", s.names.prefix, " belongs to worker ",
              shard % share_.workers, ", not ", share_.worker);
  writer->write(record);
  ++s.written;
}

std::vector<std::vector<std::int64_t>> ConvertOutput::shard_examples() const {
  std::vector<std::vector<std::int64_t>> out;
  for (const Split& s : splits_) {
    std::vector<std::int64_t>& counts = out.emplace_back();
    for (const std::optional<data::TFRecordWriter>& w : s.writers) {
      counts.push_back(w ? static_cast<std::int64_t>(w->records_written()) : 0);
    }
  }
  return out;
}

void ConvertOutput::close_shards() {
  try {
    for (Split& s : splits_) {
      for (std::optional<data::TFRecordWriter>& w : s.writers) {
        if (!w) continue;
        w->close();
        renamed_.push_back(w->path());
      }
    }
  } catch (...) {
    discard();
    throw;
  }
}

void ConvertOutput::write_info(const boost::json::object& info) {
  try {
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
}

void ConvertOutput::discard_files() noexcept {
  for (Split& s : splits_) {
    for (std::optional<data::TFRecordWriter>& w : s.writers) {
      if (w) w->discard();
    }
  }
  std::error_code ec;
  for (const std::string& path : renamed_) fs::remove(path, ec);
  renamed_.clear();
}

void ConvertOutput::discard() noexcept {
  discard_files();
  std::error_code ec;
  if (created_dir_) fs::remove(dir_, ec);  // only when empty
}

// Shards of an earlier run (other prefixes or shard counts) would be read as part of
// this dataset by a glob like train-*.tfrecord. The temporaries a killed run left
// (AtomicFile's and TFRecordWriter's "<name>.tmp-<pid>-...") go too, unless their
// process still runs.
void ConvertOutput::remove_stale_shards() const {
  static const std::regex kShard("(train|validation|test)-[0-9]{5}-of-[0-9]{5}\\.tfrecord");
  std::set<std::string> written;
  for (const Split& s : splits_) {
    for (int i = 0; i < s.names.shards; ++i) written.insert(shard_file_name(s.names.prefix, i, s.names.shards));
  }
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (std::regex_match(name, kShard) && written.count(name) == 0) fs::remove(it->path(), ec);
  }
  remove_abandoned_temporaries(dir_);
}

}  // namespace spool::cli
