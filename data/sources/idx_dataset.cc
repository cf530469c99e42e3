// IdxDataset: the two IDX files decoded once, then sliced by tensor_slices (so the
// stage appears as "tensor_slices" in stats and states; its position is the index).
#include "spool/data/sources/idx_dataset.h"

#include "spool/data/image/idx.h"
#include "spool/tensor/error.h"

namespace spool::data {

Dataset IdxDataset(const std::string& images_path, const std::string& labels_path) {
  Tensor images = read_idx(images_path);
  Tensor labels = read_idx(labels_path);
  SPOOL_CHECK(images.rank() >= 2, InvalidArgument, "IdxDataset: ", spool::quoted(images_path), " holds ",
              dtype_name(images.dtype()), images.shape().to_string(), ", not images (rank >= 2)");
  SPOOL_CHECK(labels.rank() == 1 && labels.dtype() != DType::kF32 && labels.dtype() != DType::kF64, InvalidArgument,
              "IdxDataset: ", spool::quoted(labels_path), " holds ", dtype_name(labels.dtype()), labels.shape().to_string(),
              ", not labels (1-D integers)");
  SPOOL_CHECK(images.dim(0) == labels.dim(0), InvalidArgument, "IdxDataset: ", spool::quoted(images_path), " has ",
              images.dim(0), " images but ", spool::quoted(labels_path), " has ", labels.dim(0), " labels");
  return Dataset::from_tensor_slices(Element({images, labels.cast(DType::kI64)}, {"image", "label"}));
}

}  // namespace spool::data
