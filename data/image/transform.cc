// The shared glue of the image transforms (see transform.h).
#include "spool/data/image/transform.h"

#include <cstring>
#include <utility>
#include <vector>

#include "spool/tensor/error.h"

namespace spool::data {

Tensor& ImageComponent::in(Element& element) const {
  if (name_.empty()) return element[index_];
  const std::size_t at = element.find(name_);
  SPOOL_CHECK(at < element.size(), InvalidArgument, "image map: the element (", describe_structure(element),
              ") has no component named ", spool::quoted(name_));
  return element[at];
}

MapFn image_map_fn(std::function<Tensor(const Tensor&)> transform, ImageComponent which) {
  return [transform = std::move(transform), which = std::move(which)](Element e) {
    Tensor& image = which.in(e);
    image = transform(image);
    return e;
  };
}

RandomMapFn image_random_map_fn(std::function<Tensor(const Tensor&, Generator&)> transform, ImageComponent which) {
  return [transform = std::move(transform), which = std::move(which)](Element e, Generator& gen) {
    Tensor& image = which.in(e);
    image = transform(image, gen);
    return e;
  };
}

namespace detail {

ImageLayout image_layout(const Tensor& image, const char* op) {
  SPOOL_CHECK(image.defined() && (image.rank() == 3 || image.rank() == 4), InvalidArgument, op,
              ": expected an image [H,W,C] or a batch [N,H,W,C], got shape ",
              image.defined() ? image.shape().to_string() : std::string("(undefined)"));
  ImageLayout l;
  l.batched = image.rank() == 4;
  const std::int64_t first = l.batched ? 1 : 0;
  if (l.batched) l.n = image.dim(0);
  l.h = image.dim(first);
  l.w = image.dim(first + 1);
  l.c = image.dim(first + 2);
  SPOOL_CHECK(l.h > 0 && l.w > 0 && l.c > 0, InvalidArgument, op, ": the image of shape ", image.shape().to_string(),
              " is empty");
  return l;
}

Tensor per_image(const Tensor& images, const std::function<Tensor(const Tensor&)>& one) {
  if (images.rank() != 4) return one(images);
  const std::int64_t n = images.dim(0);
  SPOOL_CHECK(n > 0, InvalidArgument, "per-image transform: the batch of shape ", images.shape().to_string(),
              " is empty");
  std::vector<Tensor> outs;
  outs.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) outs.push_back(one(images.select(0, i)).contiguous());
  std::vector<std::int64_t> dims{n};
  for (std::int64_t d : outs[0].shape().dims()) dims.push_back(d);
  Tensor out = Tensor::empty(Shape(dims), outs[0].dtype());
  const std::size_t bytes = static_cast<std::size_t>(outs[0].numel()) * outs[0].element_size();
  auto* dst = static_cast<std::uint8_t*>(out.raw_data());
  for (std::int64_t i = 0; i < n; ++i) {
    SPOOL_CHECK(outs[i].shape() == outs[0].shape() && outs[i].dtype() == outs[0].dtype(), InvalidArgument,
                "per-image transform: image #", i, " gave ", outs[i].shape().to_string(), " but image #0 gave ",
                outs[0].shape().to_string());
    std::memcpy(dst + static_cast<std::size_t>(i) * bytes, outs[i].raw_data(), bytes);
  }
  return out;
}

Tensor as_f32(const Tensor& image) {
  if (image.dtype() == DType::kF32) return image.contiguous();
  return image.cast(DType::kF32);
}

}  // namespace detail
}  // namespace spool::data
