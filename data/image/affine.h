// Random affine augmentation with the options of Keras' ImageDataGenerator
// (rotation_range, width/height_shift_range, shear_range, zoom_range, horizontal_flip,
// fill_mode, cval), as keras.preprocessing.image.apply_affine_transform: one composed
// matrix rotation * shift * shear * zoom about the image centre, applied by inverse
// mapping (each output pixel samples the input bilinearly), then the optional flip.
//
//   auto aug = AffineOptions().rotation_range(40).width_shift_range(0.2).height_shift_range(0.2)
//                  .shear_range(0.2).zoom_range(0.2).horizontal_flip(true).fill_mode(FillMode::kNearest);
//   ds.map(random_affine_fn(aug), MapOptions().seed(1).parallelism(2));
//
// Randomness comes only from the Generator passed in (per image of a batch, in batch
// order): same seed, same pictures. Fill modes for samples outside the image, as
// scipy.ndimage: kConstant (cval), kNearest (edge pixel), kReflect (d c b a | a b c d |
// d c b a), kWrap (periodic: a b c d | a b c d). Output f32 (u8 input is not rescaled).
// Thread-safety: pure functions.
#pragma once

#include "spool/data/image/transform.h"
#include "spool/tensor/random.h"
#include "spool/tensor/tensor.h"

namespace spool::data {

enum class FillMode { kConstant, kNearest, kReflect, kWrap };

class AffineOptions {
 public:
  // Degrees; the angle is uniform in [-range, range].
  AffineOptions& rotation_range(double degrees);
  // Fractions of the width / height; the shift is uniform in [-f, f] times the side.
  AffineOptions& width_shift_range(double fraction);
  AffineOptions& height_shift_range(double fraction);
  // Degrees of shear, uniform in [-range, range].
  AffineOptions& shear_range(double degrees);
  // Zoom factors uniform in [1 - z, 1 + z], drawn separately for rows and columns.
  AffineOptions& zoom_range(double z);
  AffineOptions& zoom_range(double lower, double upper);
  AffineOptions& horizontal_flip(bool on) {
    horizontal_flip_ = on;
    return *this;
  }
  AffineOptions& fill_mode(FillMode mode) {
    fill_mode_ = mode;
    return *this;
  }
  AffineOptions& cval(float value) {
    cval_ = value;
    return *this;
  }

  double rotation_range() const { return rotation_range_; }
  double width_shift_range() const { return width_shift_range_; }
  double height_shift_range() const { return height_shift_range_; }
  double shear_range() const { return shear_range_; }
  double zoom_lower() const { return zoom_lower_; }
  double zoom_upper() const { return zoom_upper_; }
  bool horizontal_flip() const { return horizontal_flip_; }
  FillMode fill_mode() const { return fill_mode_; }
  float cval() const { return cval_; }

 private:
  double rotation_range_ = 0;
  double width_shift_range_ = 0;
  double height_shift_range_ = 0;
  double shear_range_ = 0;
  double zoom_lower_ = 1;
  double zoom_upper_ = 1;
  bool horizontal_flip_ = false;
  FillMode fill_mode_ = FillMode::kNearest;  // Keras' default
  float cval_ = 0;
};

// One drawn transform, in Keras' terms: theta and shear in degrees, tx a shift of
// rows (pixels), ty of columns, zx / zy zoom of rows / columns.
struct AffineParams {
  double theta = 0, tx = 0, ty = 0, shear = 0, zx = 1, zy = 1;
  bool flip = false;
};

// "constant", "nearest", "reflect" or "wrap"; InvalidArgument otherwise.
FillMode parse_fill_mode(const std::string& name);
AffineParams random_affine_params(const AffineOptions& options, std::int64_t height, std::int64_t width,
                                  Generator& gen);
Tensor apply_affine(const Tensor& image, const AffineParams& params, FillMode fill_mode = FillMode::kNearest,
                    float cval = 0);
Tensor random_affine(const Tensor& image, const AffineOptions& options, Generator& gen);
RandomMapFn random_affine_fn(AffineOptions options, ImageComponent which = {});

}  // namespace spool::data
