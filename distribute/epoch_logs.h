// EpochLogs: the values one epoch of fit (or one evaluate pass) logged, as Keras' logs
// dict: the loss, a value per metric by its name, the same with "val_" for the
// validation pass, and the epoch's counts and timing.
//
//   const EpochLogs& e = history.epochs.back();
//   double acc = e.value("accuracy"), val = e.value("val_accuracy");   // NaN: no value
//   for (const auto& [name, v] : e.metrics) std::cout << name << " " << v << "\n";
//
// Names: "loss", each metric's name, "val_loss", "val_" + each metric's name (the
// order metrics.jsonl's columns and the progress bar follow). NaN means no value:
// val_ values without validation data, every value of a resumed epoch whose steps were
// all taken before the checkpoint.
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spool/distribute/progress_bar.h"

namespace spool::distribute {

struct EpochLogs {
  int epoch = 0;  // 1-based
  double loss = 0;
  NamedValues metrics;  // {name, result} per metric, in the trainer's order
  double val_loss = 0;
  NamedValues val_metrics;      // {"val_" + name, result}; evaluate() leaves it empty
  double examples_per_sec = 0;  // training examples over the epoch's training time
  double seconds = 0;           // the epoch's wall time, validation included
  std::int64_t examples = 0;    // examples this process trained on (a resumed epoch: since the checkpoint)
  std::int64_t step = 0;        // optimizer steps taken so far, over all epochs

  // The value logged as `name` (names above); InvalidArgument naming the logged ones
  // when there is none.
  double value(std::string_view name) const;
  bool has(std::string_view name) const;
  // "loss", the metrics, "val_loss", the val_ metrics.
  std::vector<std::string> names() const;
};

struct History {
  std::vector<EpochLogs> epochs;
};

}  // namespace spool::distribute
