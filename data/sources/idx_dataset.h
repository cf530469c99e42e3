// IdxDataset: Fashion-MNIST-style IDX files (images and labels, gzip or raw) as
// elements {"image": u8[rows, cols], "label": i64[]}.
//
//   auto train = IdxDataset("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
//                           "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz");
//
// The files are decoded once, when the Dataset is made (a few tens of MB), with the
// header checks of image/idx.h; the counts of images and labels must agree. The
// cardinality is the count. Elements view the decoded tensors (no copy).
// Thread-safety: as every Dataset.
#pragma once

#include <string>

#include "spool/data/dataset.h"

namespace spool::data {

Dataset IdxDataset(const std::string& images_path, const std::string& labels_path);

}  // namespace spool::data
