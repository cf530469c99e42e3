// What the image transforms share: the [H, W, C] / [N, H, W, C] layout check, and the
// glue that turns a transform into a map function applied to one component of an
// Element (by position or by name).
//
//   ds.map(image_map_fn([](const Tensor& t) { return flip_left_right(t); }, "image"));
//   ds.map(image_random_map_fn([](const Tensor& t, Generator& g) { return random_flip_left_right(t, g); }),
//          MapOptions().seed(7));
//
// Every transform of data/image/ accepts one image [H, W, C] or a batch [N, H, W, C]
// (channels last, as TensorFlow) and returns the same rank; random transforms draw
// one set of parameters per image of a batch, in batch order.
// Thread-safety: the helpers are pure; the returned functions may be called from
// many map workers at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "spool/data/element.h"
#include "spool/data/ops/map.h"
#include "spool/tensor/random.h"
#include "spool/tensor/tensor.h"

namespace spool::data {

// The component a map function rewrites: an index (default 0) or a name ("image").
class ImageComponent {
 public:
  ImageComponent(std::size_t index = 0) : index_(index) {}  // NOLINT: implicit by design
  ImageComponent(const char* name) : name_(name) {}          // NOLINT
  ImageComponent(std::string name) : name_(std::move(name)) {}  // NOLINT
  // The component of `element`; InvalidArgument/OutOfRange naming what is missing.
  Tensor& in(Element& element) const;

 private:
  std::size_t index_ = 0;
  std::string name_;  // empty: by index
};

MapFn image_map_fn(std::function<Tensor(const Tensor&)> transform, ImageComponent which = {});
RandomMapFn image_random_map_fn(std::function<Tensor(const Tensor&, Generator&)> transform, ImageComponent which = {});

namespace detail {
// An image or batch seen as N images of H x W x C.
struct ImageLayout {
  std::int64_t n = 1, h = 0, w = 0, c = 0;
  bool batched = false;
  Shape shape(std::int64_t height, std::int64_t width) const {
    return batched ? Shape{n, height, width, c} : Shape{height, width, c};
  }
};
// InvalidArgument "<op>: expected an image [H,W,C] or a batch [N,H,W,C], got shape [..]".
ImageLayout image_layout(const Tensor& image, const char* op);
// Applies `one` to each [H, W, C] image of a batch and stacks the results (a single
// image goes straight through). Every result must have the same shape and dtype.
Tensor per_image(const Tensor& images, const std::function<Tensor(const Tensor&)>& one);
// The image as contiguous f32 (a view when it already is).
Tensor as_f32(const Tensor& image);
}  // namespace detail

}  // namespace spool::data
