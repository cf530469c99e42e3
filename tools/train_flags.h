// spool train's flags, read once (train.cc), and what both of its training loops use:
// synchronous replicas (train.cc) and parameter servers (train_parameter_server.cc).
// Thread-safety: plain values and functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spool/autodiff/optim/adam.h"
#include "spool/autodiff/training_state.h"
#include "spool/distribute/curves_png.h"
#include "spool/distribute/epoch_logs.h"
#include "train_setup.h"

namespace spool::cli {

struct Flags {
  std::string dataset, data, model, out;
  int epochs = 0;
  std::int64_t batch_size = 0;
  double lr = 0;
  std::string lr_schedule;
  int decay_epochs = 0;
  std::uint64_t seed = 0;
  int threads = 0;
  bool threads_auto = false;  // --threads auto: KernelThreadTuner picks the count, starting from `threads`
  int replicas = 1;
  bool resume = false;
  autodiff::ImageInput image = kImageFolderRecipe;
  // --strategy: "mirrored" (synchronous all-reduce, the default) or "parameter-server".
  std::string strategy = "mirrored";
  int servers = 1;                   // --ps
  int workers = 2;                   // --workers: threads of the in-process parameter servers
  std::optional<int> max_staleness;  // --max-staleness
  bool staleness_aware = false;      // --staleness-aware
  int slow_worker = -1;              // --slow-worker W:F (experiments)
  double slow_factor = 1;
  bool graph = true;                 // --graph / --no-graph: trace the training step
  std::string dump_graph;            // --dump-graph FILE: the traced step's plan
};

// Adam's learning rate and how it reads: "lr 0.003, cosine decay to 0 over 2 epochs
// (1876 steps)". cosine is Keras' CosineDecay from --lr to 0 over --decay-epochs' steps:
// the last steps are small, so the run ends on averaged weights instead of on Adam's noise.
struct LearningRateChoice {
  autodiff::AdamOptions options;
  std::string description;
};
LearningRateChoice learning_rate(const Flags& f, const TrainData& data);

// The data set the flags name (bad files: an Error, exit 1, not a usage error).
TrainData load_data(const Flags& f);

// How an image folder's pictures were prepared, for the checkpoint; nullopt for IDX data.
std::optional<autodiff::ImageInput> image_input(const Flags& f);

// What a checkpoint of this run says it holds (so that --resume with other flags is refused).
autodiff::RunInfo run_info(const Flags& f, const TrainData& data, const LearningRateChoice& lr);

// --resume: the checkpoint in f.out exists and was trained with these flags (model,
// learning rate, image preparation); IoError or InvalidArgument naming the difference.
void check_resumable(const Flags& f, const TrainData& data, const LearningRateChoice& lr);

// curves.png's loss and accuracy panels (train and validation per epoch).
std::vector<distribute::CurvePanel> loss_and_accuracy_panels(const std::vector<distribute::EpochLogs>& history);

// --strategy parameter-server: train.cc hands over to it.
int train_parameter_server(const Flags& f);

}  // namespace spool::cli
