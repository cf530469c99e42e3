// Geometric transforms that move whole pixels: crops, flips, quarter turns, as
// tf.image's central_crop, crop_to_bounding_box, random_crop, flip_left_right,
// flip_up_down, random_flip_*, rot90. Any dtype; the result has the input's dtype.
//
//   Tensor c = central_crop(img, 0.5);                 // the middle half of each side
//   Tensor r = random_crop(img, {224, 224}, gen);       // per image of a batch
//   ds.map(random_flip_left_right_fn(), MapOptions().seed(3));
//
// Random versions draw per image of a batch (a batch of 2 may flip one image only),
// from the Generator given. Errors: InvalidArgument naming the shape (see transform.h)
// and the offending size.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "spool/data/image/resize.h"
#include "spool/data/image/transform.h"
#include "spool/tensor/random.h"
#include "spool/tensor/tensor.h"

namespace spool::data {

// The centre `fraction` (in (0, 1]) of each side: offset int((side - side * f) / 2),
// size side - 2 * offset, as tf.image.central_crop.
Tensor central_crop(const Tensor& image, double fraction);
// Rows [top, top + size.height), columns [left, left + size.width).
Tensor crop(const Tensor& image, std::int64_t top, std::int64_t left, ImageSize size);
// A window of `size` at a uniform offset (each offset in [0, side - size]).
Tensor random_crop(const Tensor& image, ImageSize size, Generator& gen);

Tensor flip_left_right(const Tensor& image);
Tensor flip_up_down(const Tensor& image);
// Each image flipped with probability 1/2.
Tensor random_flip_left_right(const Tensor& image, Generator& gen);
Tensor random_flip_up_down(const Tensor& image, Generator& gen);
// k quarter turns counter-clockwise (k may be negative), as tf.image.rot90.
Tensor rot90(const Tensor& image, int k = 1);

MapFn central_crop_fn(double fraction, ImageComponent which = {});
RandomMapFn random_crop_fn(ImageSize size, ImageComponent which = {});
RandomMapFn random_flip_left_right_fn(ImageComponent which = {});
RandomMapFn random_flip_up_down_fn(ImageComponent which = {});

}  // namespace spool::data
