// What `spool train` trains: the data sets it knows (Fashion-MNIST IDX files, an image
// folder with train/ and validation/ such as horses-vs-humans) as batched pipelines of
// {f32 images scaled to [0, 1], labels}, and the course's models for them.
// Thread-safety: plain functions; the datasets are immutable.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "spool/autodiff/losses/losses.h"
#include "spool/autodiff/model.h"
#include "spool/autodiff/training_state.h"
#include "spool/data/dataset.h"

namespace spool::cli {

struct TrainData {
  std::string name;          // "fashion-mnist", "horses-or-humans"
  data::Dataset train;       // shuffled per epoch, batched
  data::Dataset validation;  // in file order, batched (Fashion-MNIST: the test set)
  std::int64_t train_examples = 0;
  std::int64_t validation_examples = 0;
  Shape input_shape;  // per example: [28, 28, 1], [150, 150, 3]
  bool binary = false;
  // Parameter-server training: worker w of n's own pipeline — its shard of the
  // training examples, shuffled every pass with a seed of its own (another for a run
  // resumed after `epochs_done`), batched, repeated forever.
  std::function<data::Dataset(int workers, int worker, int epochs_done)> worker_train;
};

// DIR holds train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz] and the t10k-
// pair (the Debian package's layout and Zalando's).
TrainData fashion_mnist_data(const std::string& dir, std::int64_t batch_size, std::uint64_t seed);

// How an image folder's pictures reach the model (autodiff::ImageInput, which the
// checkpoint records): spool train's horses-or-humans recipe, not Keras' (150x150 rgb
// bilinear, ImageInput's defaults): on the shared 300 training images colour is a cue
// that does not carry over to the validation renders, and 48 pixels shrunk by area
// averaging keep the shapes the model needs with fewer weights to memorise noise with
// (docs/experiments.md, horses or humans).
inline const autodiff::ImageInput kImageFolderRecipe{
    .image_size = 48, .color_mode = "grayscale", .interpolation = "area"};

// DIR holds train/ and validation/, each with one sub-folder per class (two classes),
// as the course's horse-or-human download.
TrainData image_folder_data(const std::string& dir, std::int64_t batch_size, std::uint64_t seed,
                            const autodiff::ImageInput& input, int decode_workers);

// layers::zoo_model (autodiff/layers/model_zoo.h) for the data: "mlp" or "cnn", ten
// logits for Fashion-MNIST, one for a binary image folder. Logits out (losses from_logits).
layers::Sequential make_model(const std::string& kind, const TrainData& data, std::uint64_t seed);

// The loss that goes with the data, on logits: sparse categorical cross-entropy for
// classes, binary for two (the trainer's "accuracy" follows it).
std::unique_ptr<losses::Loss> make_loss(const TrainData& data);

}  // namespace spool::cli
