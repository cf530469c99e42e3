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
// Elements are {"image": the file's bytes as 1-D u8, "label", "path": 1-D u8}; with
// decode(true) "image" is the decoded picture instead, as image_dataset_from_directory:
//
//   auto ds = ImageFolderDataset("horse-or-human/train", ImageFolderOptions().decode(true)
//                 .image_size({150, 150}).label_mode("binary").decode_parallelism(2));
//
// - color_mode "grayscale" / "rgb" (default) / "rgba": 1, 3 or 4 channels.
// - image_size: resized with bilinear (no antialias), as Keras, to f32 in [0, 255];
//   without it images keep their size and stay u8. interpolation("area") (or
//   "nearest", "bicubic"; Keras' argument of the same name) picks another method;
//   "area" averages every source pixel, which matters when shrinking a lot (300x300
//   photos to 32x32: bilinear samples 4 of every ~90 pixels and aliases). A JPEG at least twice the target
//   size is first decoded at 1/2, 1/4 or 1/8 in the DCT domain (jpeg_ratio_for), which
//   is much cheaper and differs slightly from a full decode (jpeg_dct_scaling(false)
//   turns it off).
// - label_mode "int" (default, i64[]), "categorical" (f32[classes] one-hot) or
//   "binary" (f32[1], exactly two classes), as Keras; it applies without decode too.
// - Reading and decoding run in a map stage named "decode_image" with
//   decode_parallelism workers. An unreadable or corrupt file is an error naming the
//   file ("map: element #3: ... 'cats/a.png' ..."), or with ignore_errors(true) it is
//   dropped and counted in the stats of the "ignore_errors" stage (skipped_errors);
//   without decode, ignore_errors skips files that cannot be read.
// cardinality() is the number of files in the subset (unknown with ignore_errors).
// The file order is a pure function of the seed (when shuffle: a new one per repeat
// epoch and per iterator of the dataset, as the shuffle Keras applies).
// Thread-safety: as every Dataset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spool/data/dataset.h"
#include "spool/data/image/resize.h"

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
  // Shuffle the files (Keras' default true); each epoch (repeat's, or a new iterator)
  // reshuffles.
  ImageFolderOptions& shuffle(bool on) {
    shuffle_ = on;
    return *this;
  }
  bool shuffle() const { return shuffle_; }

  // Decoding (see above); every setter checks its value.
  ImageFolderOptions& decode(bool on) {
    decode_ = on;
    return *this;
  }
  bool decode() const { return decode_; }
  ImageFolderOptions& label_mode(std::string mode);
  const std::string& label_mode() const { return label_mode_; }
  ImageFolderOptions& color_mode(std::string mode);
  const std::string& color_mode() const { return color_mode_; }
  ImageFolderOptions& image_size(ImageSize size);
  const std::optional<ImageSize>& image_size() const { return image_size_; }
  ImageFolderOptions& interpolation(std::string_view method);
  ResizeMethod interpolation() const { return interpolation_; }
  ImageFolderOptions& ignore_errors(bool on) {
    ignore_errors_ = on;
    return *this;
  }
  bool ignore_errors() const { return ignore_errors_; }
  ImageFolderOptions& decode_parallelism(std::int64_t n);
  std::int64_t decode_parallelism() const { return decode_parallelism_; }
  ImageFolderOptions& jpeg_dct_scaling(bool on) {
    jpeg_dct_scaling_ = on;
    return *this;
  }
  bool jpeg_dct_scaling() const { return jpeg_dct_scaling_; }

 private:
  double validation_split_ = 0;
  std::string subset_;
  std::optional<std::uint64_t> seed_;
  bool shuffle_ = true;
  bool decode_ = false;
  std::string label_mode_ = "int";
  std::string color_mode_ = "rgb";
  std::optional<ImageSize> image_size_;
  ResizeMethod interpolation_ = ResizeMethod::kBilinear;
  bool ignore_errors_ = false;
  std::int64_t decode_parallelism_ = 1;
  bool jpeg_dct_scaling_ = true;
};

Dataset ImageFolderDataset(const std::string& directory, ImageFolderOptions options = {});

// The files ImageFolderDataset(directory, options) visits and their labels, in the
// order of its file list: sorted (class, folder, name) without a split; with one, the
// subset of the seeded split order (each epoch then visits these in a permutation of
// its own). The same checks and errors as ImageFolderDataset. For tools that must
// agree with the dataset's split (spool convert images).
struct ImageFolderFiles {
  std::vector<std::string> classes;  // as image_folder_classes
  std::vector<std::string> paths;
  std::vector<std::int64_t> labels;  // labels[i] indexes classes
};
ImageFolderFiles image_folder_files(const std::string& directory, const ImageFolderOptions& options = {});
// The sorted class names of `directory` (its sub-folders).
std::vector<std::string> image_folder_classes(const std::string& directory);

// Reads and decodes one image file as ImageFolderDataset(decode(true)) does: the
// color_mode's channels, resized to image_size when set (JPEG DCT scaling first).
// Errors name the file.
Tensor load_image_file(const std::string& path, const ImageFolderOptions& options);
// The same for a file's bytes already in memory (`path` names it in errors).
Tensor decode_image_file(std::string_view bytes, std::string_view path, const ImageFolderOptions& options);

}  // namespace spool::data
