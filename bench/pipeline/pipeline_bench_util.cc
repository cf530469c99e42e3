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

void normalize_image(const std::uint8_t* in, float* out, std::int64_t n) {
  const float scale = 1.0f / (255.0f * kFashionStd);
  const float shift = kFashionMean / kFashionStd;
  for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(in[i]) * scale - shift;
}

data::Element normalize_element(data::Element e) {
  const Tensor image = e[0].is_contiguous() ? std::move(e[0]) : e[0].contiguous();
  Tensor out = Tensor::empty(image.shape(), DType::kF32);
  normalize_image(image.data<std::uint8_t>(), out.data<float>(), image.numel());
  e[0] = std::move(out);
  return e;
}

}  // namespace spool::bench
