// Crops are views made contiguous; flips and quarter turns copy pixels (C elements of
// any dtype) in an order chosen per output row. Legend: N batch, H,W spatial, C channels.
#include "spool/data/image/crop_flip.h"

#include <cstring>

#include "spool/tensor/error.h"

namespace spool::data {
namespace {

// out[y][x] = in[y][W - 1 - x] (horizontal) or in[H - 1 - y][x], per image.
Tensor flip(const Tensor& image, bool horizontal, const char* op) {
  const detail::ImageLayout l = detail::image_layout(image, op);
  const Tensor src = image.contiguous();
  Tensor out = Tensor::empty(image.shape(), image.dtype());
  const std::size_t pixel = static_cast<std::size_t>(l.c) * image.element_size();
  const std::size_t row = pixel * static_cast<std::size_t>(l.w);
  const auto* s = static_cast<const std::uint8_t*>(src.raw_data());
  auto* d = static_cast<std::uint8_t*>(out.raw_data());
  for (std::int64_t n = 0; n < l.n; ++n) {
    for (std::int64_t y = 0; y < l.h; ++y) {
      const std::uint8_t* in_row = s + row * static_cast<std::size_t>(n * l.h + (horizontal ? y : l.h - 1 - y));
      std::uint8_t* out_row = d + row * static_cast<std::size_t>(n * l.h + y);
      if (!horizontal) {
        std::memcpy(out_row, in_row, row);
        continue;
      }
      for (std::int64_t x = 0; x < l.w; ++x) {
        std::memcpy(out_row + pixel * static_cast<std::size_t>(x),
                    in_row + pixel * static_cast<std::size_t>(l.w - 1 - x), pixel);
      }
    }
  }
  return out;
}

Tensor random_flip(const Tensor& image, Generator& gen, bool horizontal, const char* op) {
  detail::image_layout(image, op);
  return detail::per_image(image, [&](const Tensor& one) {
    return gen.next_u32() & 1u ? flip(one, horizontal, op) : one.contiguous();
  });
}

}  // namespace

Tensor crop(const Tensor& image, std::int64_t top, std::int64_t left, ImageSize size) {
  const detail::ImageLayout l = detail::image_layout(image, "crop");
  SPOOL_CHECK(top >= 0 && left >= 0 && size.height > 0 && size.width > 0 && top + size.height <= l.h &&
                  left + size.width <= l.w,
              InvalidArgument, "crop: window ", size.height, "x", size.width, " at (", top, ", ", left,
              ") does not fit the image of shape ", image.shape().to_string());
  const std::int64_t h_axis = l.batched ? 1 : 0;
  return image.narrow(h_axis, top, size.height).narrow(h_axis + 1, left, size.width).contiguous();
}

Tensor central_crop(const Tensor& image, double fraction) {
  const detail::ImageLayout l = detail::image_layout(image, "central_crop");
  SPOOL_CHECK(fraction > 0 && fraction <= 1, InvalidArgument, "central_crop: fraction must be in (0, 1], got ",
              fraction, " for an image of shape ", image.shape().to_string());
  const auto top = static_cast<std::int64_t>((static_cast<double>(l.h) - static_cast<double>(l.h) * fraction) / 2);
  const auto left = static_cast<std::int64_t>((static_cast<double>(l.w) - static_cast<double>(l.w) * fraction) / 2);
  return crop(image, top, left, {l.h - 2 * top, l.w - 2 * left});
}

Tensor random_crop(const Tensor& image, ImageSize size, Generator& gen) {
  const detail::ImageLayout l = detail::image_layout(image, "random_crop");
  SPOOL_CHECK(size.height > 0 && size.width > 0 && size.height <= l.h && size.width <= l.w, InvalidArgument,
              "random_crop: size ", size.height, "x", size.width, " does not fit the image of shape ",
              image.shape().to_string());
  return detail::per_image(image, [&](const Tensor& one) {
    const auto top = static_cast<std::int64_t>(gen.next_u64() % static_cast<std::uint64_t>(l.h - size.height + 1));
    const auto left = static_cast<std::int64_t>(gen.next_u64() % static_cast<std::uint64_t>(l.w - size.width + 1));
    return crop(one, top, left, size);
  });
}

Tensor flip_left_right(const Tensor& image) { return flip(image, true, "flip_left_right"); }
Tensor flip_up_down(const Tensor& image) { return flip(image, false, "flip_up_down"); }
Tensor random_flip_left_right(const Tensor& image, Generator& gen) {
  return random_flip(image, gen, true, "random_flip_left_right");
}
Tensor random_flip_up_down(const Tensor& image, Generator& gen) {
  return random_flip(image, gen, false, "random_flip_up_down");
}

// With T the transpose of H and W (T[i][j] = in[j][i]): one turn is flip_up_down(T),
// three are flip_left_right(T), two flip both axes.
Tensor rot90(const Tensor& image, int k) {
  const detail::ImageLayout l = detail::image_layout(image, "rot90");
  const int turns = ((k % 4) + 4) % 4;
  if (turns == 0) return image.contiguous();
  if (turns == 2) return flip_up_down(flip_left_right(image));
  const std::int64_t h_axis = l.batched ? 1 : 0;
  const Tensor t = image.transpose(h_axis, h_axis + 1).contiguous();
  return turns == 1 ? flip_up_down(t) : flip_left_right(t);
}

MapFn central_crop_fn(double fraction, ImageComponent which) {
  return image_map_fn([fraction](const Tensor& t) { return central_crop(t, fraction); }, std::move(which));
}
RandomMapFn random_crop_fn(ImageSize size, ImageComponent which) {
  return image_random_map_fn([size](const Tensor& t, Generator& g) { return random_crop(t, size, g); },
                             std::move(which));
}
RandomMapFn random_flip_left_right_fn(ImageComponent which) {
  return image_random_map_fn(random_flip_left_right, std::move(which));
}
RandomMapFn random_flip_up_down_fn(ImageComponent which) {
  return image_random_map_fn(random_flip_up_down, std::move(which));
}

}  // namespace spool::data
