// metrics.jsonl, the training log: one JSON object per epoch (JSON Lines), written by
// the MetricsJsonl callback and read back by a resumed run (spool train --resume). Both
// sides are here, so the file has one definition:
//
//   {"epoch":3,"loss":0.41,"accuracy":0.86,"val_loss":0.39,"val_accuracy":0.87,
//    "examples_per_sec":1234.5,"seconds":2.1,"step":30}
//
// Columns, in this order: epoch, loss, one per metric by its name (the trainer's
// order), val_loss, val_<name> per metric, examples_per_sec, seconds, step. A reader
// takes the fixed columns by name and every other as a metric (val_ ones as validation
// values), so a file with more columns still reads.
// Numbers are written in the shortest form that reads back as the same double.
// NaN: JSON has no NaN, so a value that is not finite is written as null, and null reads
// back as NaN (±infinity, a diverged loss, reads back as NaN too). NaN marks an entry with
// no value: val_ values without validation data, the values of a resumed epoch that
// had none yet.
// Thread-safety: the functions are pure or touch only the given file; the callback is
// called from the fit loop's thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spool/distribute/fit.h"

namespace spool::distribute {

// One line for logs (what MetricsJsonl writes), without the newline.
std::string epoch_logs_json(const EpochLogs& logs);
// The logs of one line; nullopt when it is not such a line (cut short by a crash, not
// a flat JSON object, no integer "epoch"). A missing number reads as NaN, a missing
// step as 0; examples is not in the file and reads as 0.
std::optional<EpochLogs> parse_epoch_logs_json(std::string_view line);

// For a run resumed after epoch `last_epoch`: the logs of epochs 1..last_epoch in the
// file, which is rewritten (whole or not at all) to hold just their lines, verbatim,
// so that the resumed run's lines follow them. Lines that do not parse are dropped. A
// missing file is an empty history.
std::vector<EpochLogs> keep_epochs_up_to(const std::string& path, int last_epoch);

// Appends one line per epoch to `path`, synced to disk at each epoch's end.
class MetricsJsonl : public Callback {
 public:
  // append=false starts the file afresh.
  explicit MetricsJsonl(std::string path, bool append = false);
  void on_train_begin(Trainer&) override;
  void on_epoch_end(const EpochLogs& logs, Trainer& trainer) override;

 private:
  std::string path_;
  bool append_;
};

}  // namespace spool::distribute
