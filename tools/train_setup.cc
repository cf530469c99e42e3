#include "train_setup.h"

#include <filesystem>

#include "spool/autodiff/layers/model_zoo.h"
#include "spool/data/image/color.h"
#include "spool/data/sources/idx_dataset.h"
#include "spool/data/sources/image_folder_dataset.h"
#include "spool/tensor/error.h"

namespace spool::cli {
namespace {

namespace fs = std::filesystem;

// "<dir>/<stem>" or "<dir>/<stem>.gz", whichever exists.
std::string idx_file(const std::string& dir, const std::string& stem) {
  for (const std::string& name : {stem + ".gz", stem}) {
    if (fs::exists(fs::path(dir) / name)) return (fs::path(dir) / name).string();
  }
  SPOOL_THROW(IoError, "no ", stem, "[.gz] in ", quoted(dir),
              " (Fashion-MNIST IDX files: the Debian package dataset-fashion-mnist puts them in "
              "/usr/share/datasets/fashion-mnist)");
}

// u8 [N, H, W] or [N, H, W, C] (or f32 in [0, 255]) -> f32 [N, H, W, C] in [0, 1].
Tensor scaled_images(const Tensor& images) {
  const Shape& s = images.shape();
  const Shape nhwc = s.rank() == 3 ? Shape{s[0], s[1], s[2], 1} : s;
  return data::rescale(images, 1.0f / 255.0f).reshape(nhwc.dims());
}

data::Element scaled_batch(data::Element batch) { return data::Element{scaled_images(batch[0]), batch[1]}; }

// An image folder's elements carry their file path too; paths differ in length and
// batch refuses ragged components, and training has no use for them.
data::Element image_and_label(data::Element e) { return data::Element{e[0], e[1]}; }

}  // namespace

TrainData fashion_mnist_data(const std::string& dir, std::int64_t batch_size, std::uint64_t seed) {
  const data::Dataset train = data::IdxDataset(idx_file(dir, "train-images-idx3-ubyte"),
                                               idx_file(dir, "train-labels-idx1-ubyte"));
  const data::Dataset test = data::IdxDataset(idx_file(dir, "t10k-images-idx3-ubyte"),
                                              idx_file(dir, "t10k-labels-idx1-ubyte"));
  // The whole training set is the shuffle buffer: a uniform permutation per epoch, as
  // model.fit(shuffle=True) gives. Scaling runs per batch: one loop instead of 64.
  return TrainData{
      .name = "fashion-mnist",
      .train = train.shuffle(train.cardinality(), seed).batch(batch_size).map(scaled_batch).prefetch(2),
      .validation = test.batch(256).map(scaled_batch).prefetch(2),
      .train_examples = train.cardinality(),
      .validation_examples = test.cardinality(),
      .input_shape = Shape{28, 28, 1},
      .binary = false,
      .worker_train =
          [train, batch_size, seed](int workers, int worker, int epochs_done) {
            const data::Dataset mine = train.shard(workers, worker);
            return mine.shuffle(train.cardinality() / workers + 1, seed + static_cast<std::uint64_t>(worker + workers * epochs_done))
                .batch(batch_size)
                .map(scaled_batch)
                .repeat()
                .prefetch(2);
          },
  };
}

TrainData image_folder_data(const std::string& dir, std::int64_t batch_size, std::uint64_t seed,
                            const autodiff::ImageInput& input, int decode_workers) {
  const auto options = [&](bool shuffle) {
    return data::ImageFolderOptions()
        .decode(true)
        .label_mode("binary")
        .image_size({input.image_size, input.image_size})
        .interpolation(input.interpolation)
        .color_mode(input.color_mode)
        .shuffle(shuffle)
        .seed(seed)
        .decode_parallelism(decode_workers);
  };
  for (const char* sub : {"train", "validation"}) {
    SPOOL_CHECK(fs::is_directory(fs::path(dir) / sub), IoError, "no ", sub, "/ folder in ", quoted(dir),
                " (an image folder to train on has train/ and validation/, each with one sub-folder per class)");
  }
  const data::Dataset train =
      data::ImageFolderDataset((fs::path(dir) / "train").string(), options(true)).map(image_and_label);
  const data::Dataset validation =
      data::ImageFolderDataset((fs::path(dir) / "validation").string(), options(false)).map(image_and_label);
  // Decoding 300x300 PNGs is the slow part and the folder is small: decode once, keep
  // the pixels, replay them each epoch (the shuffle comes from the folder dataset's
  // file order, which cache() freezes, so shuffle the cached examples instead).
  return TrainData{
      .name = "horses-or-humans",
      .train = train.cache().shuffle(train.cardinality(), seed).batch(batch_size).map(scaled_batch).prefetch(2),
      .validation = validation.cache().batch(64).map(scaled_batch).prefetch(2),
      .train_examples = train.cardinality(),
      .validation_examples = validation.cardinality(),
      .input_shape = Shape{input.image_size, input.image_size, input.color_mode == "grayscale" ? 1 : 3},
      .binary = true,
      .worker_train =
          [train, batch_size, seed](int workers, int worker, int epochs_done) {
            const data::Dataset mine = train.shard(workers, worker).cache();
            return mine.shuffle(train.cardinality() / workers + 1, seed + static_cast<std::uint64_t>(worker + workers * epochs_done))
                .batch(batch_size)
                .map(scaled_batch)
                .repeat()
                .prefetch(2);
          },
  };
}

layers::Sequential make_model(const std::string& kind, const TrainData& data, std::uint64_t seed) {
  return layers::zoo_model(kind, data.input_shape, data.binary ? 1 : 10, seed);
}

std::unique_ptr<losses::Loss> make_loss(const TrainData& data) {
  const auto logits = losses::LossOptions().from_logits(true);
  if (data.binary) return std::make_unique<losses::BinaryCrossentropy>(logits);
  return std::make_unique<losses::SparseCategoricalCrossentropy>(logits);
}

}  // namespace spool::cli
