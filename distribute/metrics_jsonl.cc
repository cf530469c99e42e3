#include "spool/distribute/metrics_jsonl.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>

#include "spool/tensor/atomic_file.h"
#include "spool/tensor/error.h"

namespace spool::distribute {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  return std::string(buf, result.ptr);
}

// A reader of one flat JSON object: string keys, values that are numbers, null, true,
// false or strings. Enough for metrics.jsonl, and strict enough that a line cut short
// or anything nested is refused.
class FlatObjectReader {
 public:
  explicit FlatObjectReader(std::string_view text) : text_(text) {}

  // Calls on_value(key, number or NaN for null) for numeric and null values; false when
  // the text is not one flat object.
  template <typename F>
  bool read(F&& on_value) {
    if (!eat('{')) return false;
    if (eat('}')) return at_end();
    do {
      std::string key;
      if (!string(&key) || !eat(':')) return false;
      skip_space();
      if (eat_word("null")) {
        on_value(key, kNaN);
      } else if (eat_word("true") || eat_word("false")) {
        // not a number: skipped, as strings are
      } else if (peek() == '"') {
        if (!string(nullptr)) return false;
      } else {
        double v = 0;
        if (!number(&v)) return false;
        on_value(key, v);
      }
    } while (eat(','));
    return eat('}') && at_end();
  }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r')) ++pos_;
  }
  bool eat(char c) {
    skip_space();
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  bool eat_word(std::string_view w) {
    if (text_.substr(pos_, w.size()) != w) return false;
    pos_ += w.size();
    return true;
  }
  bool at_end() {
    skip_space();
    return pos_ == text_.size();
  }
  // A string with the one-character escapes; \u escapes are refused (no name needs one).
  bool string(std::string* out) {
    if (!eat('"')) return false;
    for (; pos_ < text_.size(); ++pos_) {
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (++pos_ == text_.size()) return false;
        const std::string_view from = "\"\\/bfnrt", to = "\"\\/\b\f\n\r\t";
        const std::size_t k = from.find(text_[pos_]);
        if (k == std::string_view::npos) return false;
        c = to[k];
      }
      if (out != nullptr) out->push_back(c);
    }
    return false;
  }
  bool number(double* v) {
    const std::size_t begin = pos_;
    while (pos_ < text_.size() && std::string_view("+-.eE0123456789").find(text_[pos_]) != std::string_view::npos) {
      ++pos_;
    }
    const char* first = text_.data() + begin;
    const char* last = text_.data() + pos_;
    if (first == last || !(*first == '-' || (*first >= '0' && *first <= '9'))) return false;
    const auto [end, ec] = std::from_chars(first, last, *v);
    return ec == std::errc() && end == last;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string epoch_logs_json(const EpochLogs& logs) {
  std::string s = "{\"epoch\":" + std::to_string(logs.epoch) + ",\"loss\":" + json_number(logs.loss);
  for (const auto& [name, v] : logs.metrics) s += ",\"" + name + "\":" + json_number(v);
  s += ",\"val_loss\":" + json_number(logs.val_loss);
  for (const auto& [name, v] : logs.val_metrics) s += ",\"" + name + "\":" + json_number(v);
  return s + ",\"examples_per_sec\":" + json_number(logs.examples_per_sec) + ",\"seconds\":" +
         json_number(logs.seconds) + ",\"step\":" + std::to_string(logs.step) + "}";
}

std::optional<EpochLogs> parse_epoch_logs_json(std::string_view line) {
  EpochLogs logs;
  logs.loss = logs.val_loss = logs.examples_per_sec = logs.seconds = kNaN;
  double epoch = kNaN, step = kNaN;
  const bool ok = FlatObjectReader(line).read([&](const std::string& key, double v) {
    if (key == "epoch") {
      epoch = v;
    } else if (key == "step") {
      step = v;
    } else if (key == "loss") {
      logs.loss = v;
    } else if (key == "val_loss") {
      logs.val_loss = v;
    } else if (key == "examples_per_sec") {
      logs.examples_per_sec = v;
    } else if (key == "seconds") {
      logs.seconds = v;
    } else {
      (key.starts_with("val_") ? logs.val_metrics : logs.metrics).emplace_back(key, v);
    }
  });
  // NaN fails both comparisons: no epoch, no line.
  if (!ok || !(epoch >= 0 && epoch <= std::numeric_limits<int>::max()) || epoch != std::floor(epoch)) {
    return std::nullopt;
  }
  logs.epoch = static_cast<int>(epoch);
  logs.step = std::isfinite(step) ? static_cast<std::int64_t>(step) : 0;
  return logs;
}

std::vector<EpochLogs> keep_epochs_up_to(const std::string& path, int last_epoch) {
  std::vector<EpochLogs> history;
  std::string kept;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const std::optional<EpochLogs> logs = parse_epoch_logs_json(line);
    if (!logs || logs->epoch < 1 || logs->epoch > last_epoch) continue;
    history.push_back(*logs);
    kept += line + '\n';  // verbatim: the resumed file reads as the first run wrote it
  }
  in.close();
  spool::detail::AtomicFile out(path);
  out.write(kept.data(), kept.size());
  out.commit();
  return history;
}

MetricsJsonl::MetricsJsonl(std::string path, bool append) : path_(std::move(path)), append_(append) {}

void MetricsJsonl::on_train_begin(Trainer&) {
  if (append_) return;
  spool::detail::AtomicFile empty(path_);  // an older log is replaced whole, and durably
  empty.commit();
}

void MetricsJsonl::on_epoch_end(const EpochLogs& logs, Trainer&) {
  // Synced line by line: a line is on disk once its epoch is reported. A crash can
  // only cut the last line short, and keep_epochs_up_to drops such a line.
  const std::string line = epoch_logs_json(logs) + '\n';
  spool::detail::append_durably(path_, line.data(), line.size());
}

}  // namespace spool::distribute
