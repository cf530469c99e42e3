#include "pipeline_bench_util.h"

#include <filesystem>

#include "spool/data/sources/idx_dataset.h"

namespace spool::bench {

const std::optional<data::Element>& fashion_mnist() {
  static const std::optional<data::Element> tensors = []() -> std::optional<data::Element> {
    const std::filesystem::path dir = "/usr/share/datasets/fashion-mnist";
    const std::string images = (dir / "train-images-idx3-ubyte.gz").string();
    const std::string labels = (dir / "train-labels-idx1-ubyte.gz").string();
    if (!std::filesystem::exists(images) || !std::filesystem::exists(labels)) return std::nullopt;
    // One pass of batch(60000) over the source gives both tensors whole.
    data::Iterator it = data::IdxDataset(images, labels).batch(60000).make_iterator();
    return it.next();
  }();
  return tensors;
}

}  // namespace spool::bench
