// ImageFolderDataset: a folder with one sub-folder per class (horses-vs-humans
// style), like Keras' image_dataset_from_directory: class names are the sorted
// sub-folder names, the label of a file is its class's index, files with extensions
// png, jpg, jpeg (any case) are taken, also from nested folders (sorted by folder, then
// name), and validation_split + subset + seed split the (seeded, shuffled) file list
// as Keras does: the last floor(split * n) files validate, the rest train. Keras
// shuffles with NumPy's RandomState(seed); we use our Philox generator, so a seed
// gives a reproducible split here but not the same files as in Keras. As Keras, a
// validation_split needs a subset (and the reverse), and a seed unless shuffle(false).
//
//   auto train = ImageFolderDataset("horse-or-human/train",
//                                   ImageFolderOptions().validation_split(0.2).subset("training").seed(1));
//
// Elements are {"image": the file's bytes as 1-D u8, "label": i64[], "path": 1-D u8};
// decoding arrives with the image issue. cardinality() is the number of files in the
// subset. The file order is a pure function of the seed (per epoch when shuffle).
// Thread-safety: as every Dataset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spool/data/dataset.h"

namespace spool::data {

class ImageFolderOptions {
 public:
  // Fraction in (0, 1) held out for validation; 0 (the default): no split.
  ImageFolderOptions& validation_split(double fraction);
  double validation_split() const { return validation_split_; }
  // "training", "validation" or "both" is not offered: make two datasets.
  ImageFolderOptions& subset(std::string name);
  const std::string& subset() const { return subset_; }
  ImageFolderOptions& seed(std::uint64_t s) {
    seed_ = s;
    return *this;
  }
  const std::optional<std::uint64_t>& seed() const { return seed_; }
  // Shuffle the files (Keras' default true); each epoch reshuffles.
  ImageFolderOptions& shuffle(bool on) {
    shuffle_ = on;
    return *this;
  }
  bool shuffle() const { return shuffle_; }

 private:
  double validation_split_ = 0;
  std::string subset_;
  std::optional<std::uint64_t> seed_;
  bool shuffle_ = true;
};

Dataset ImageFolderDataset(const std::string& directory, ImageFolderOptions options = {});
// The sorted class names of `directory` (its sub-folders).
std::vector<std::string> image_folder_classes(const std::string& directory);

}  // namespace spool::data
