// TrainingState: what a checkpoint holds besides weights and optimizer state — where
// the run is (step, epoch, step within the epoch, the data iterator), how to go on
// (seed, the metrics' numbers) and what the run is (model, learning rate, how its
// images were prepared) — typed here and turned into checkpoint entries and back in
// one place (training_state.cc), for the trainer, spool train and spool_classify.
//
//   autodiff::TrainingState state = trainer.training_state();
//   state.info.model = "cnn/horses-or-humans";
//   state.info.image_input = autodiff::ImageInput{.image_size = 48, .color_mode = "grayscale",
//                                                 .interpolation = "area"};
//   autodiff::save_checkpoint(dir, model.variables(), &adam, state);
//   ...
//   const autodiff::TrainingState back = autodiff::restore_checkpoint(dir, {}, nullptr);
//   const autodiff::ImageInput input = back.info.image_input.value_or(autodiff::ImageInput{});
//
// Entries (tensor/tensor_file.h), the names older checkpoints use too:
//   step                        i64 scalar
//   iterator_state              u8 [n]: data::IteratorState::bytes(), or empty
//   metadata/epoch              decimal text, as are epoch_step, seed and image_size
//   metadata/epoch_step, metadata/seed
//   metadata/model, metadata/learning_rate            when not empty
//   metadata/image_size, metadata/color_mode, metadata/interpolation   with image_input
//   metadata/<key>              RunInfo::metadata, any other string
//   metrics/<metric>/<state>    a metric's state() (metrics/metric.h), f64 scalars for the means
// A key that is missing reads as the field's default, so checkpoints written before a
// field existed still read: image_input is set when any of its three keys is there
// (the others then take ImageInput's defaults) and empty when none is.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "spool/autodiff/metrics/metric.h"
#include "spool/tensor/tensor_file.h"

namespace spool::autodiff {

// How the pictures an image model trained on were prepared, in ImageFolderOptions'
// names. The defaults are Keras' and the course's (150x150 rgb, bilinear), which is
// also what a horses-or-humans checkpoint that does not record them was trained on.
struct ImageInput {
  std::int64_t image_size = 150;  // square: image_size x image_size
  std::string color_mode = "rgb";
  std::string interpolation = "bilinear";
  bool operator==(const ImageInput&) const = default;
};

// What the run is, as the program that trains says it (the trainer does not know).
struct RunInfo {
  std::string model;          // spool train: "<mlp|cnn>/<data set>"
  std::string learning_rate;  // spool train: "lr 0.003, cosine decay to 0 over 15 epochs (150 steps)"
  std::optional<ImageInput> image_input;
  std::map<std::string, std::string> metadata;  // any other string
};

struct TrainingState {
  std::int64_t step = 0;        // optimizer steps taken
  std::int64_t epoch = 0;       // epochs completed
  std::int64_t epoch_step = 0;  // steps of the next epoch already taken (a mid-epoch save)
  std::uint64_t seed = 0;       // dropout masks come from (seed, step)
  std::string iterator_state;   // data::IteratorState::bytes(), or empty
  std::vector<NamedTensor> metrics;  // "<metric>/<state name>", as save_metric writes them
  RunInfo info;
};

// The checkpoint entries for `state`. A RunInfo::metadata key that is one of the typed
// fields' ("epoch", "model", ...) is an InvalidArgument naming it.
std::vector<NamedTensor> training_state_entries(const TrainingState& state);
// The state in a checkpoint's entries (the other entries are ignored). `path` names the
// file in errors: InvalidArgument when step or iterator_state is missing or of another
// type, or a number does not parse ("the checkpoint's epoch 'two' is not a count").
TrainingState read_training_state(std::span<const NamedTensor> entries, const std::string& path);

// Adds metric.state() to state.metrics as "<name>/<entry>" (replacing earlier ones).
void save_metric(TrainingState& state, const metrics::Metric& metric);
// Loads the metric's entries from state.metrics; false (the metric untouched) when the
// state has none for it.
bool restore_metric(const TrainingState& state, metrics::Metric& metric);

}  // namespace spool::autodiff
