// The Keras affine augmentation. The matrix acts on (row, col, 1) as Keras' does with
// scipy.ndimage.affine_transform: input = M * output, with M = offset * R * T * S * Z *
// reset, the offset moving the origin to the centre ((h - 1) / 2, (w - 1) / 2).
// Legend: H,W spatial, C channels; (r, c) a row/column coordinate.
#include "spool/data/image/affine.h"

#include <array>
#include <cmath>
#include <numbers>
#include <string>

#include "spool/data/image/crop_flip.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

using Matrix = std::array<std::array<double, 3>, 3>;

Matrix multiply(const Matrix& a, const Matrix& b) {
  Matrix m{};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 3; ++k) m[i][j] += a[i][k] * b[k][j];
    }
  }
  return m;
}

double radians(double degrees) { return degrees * std::numbers::pi / 180.0; }

Matrix compose(const AffineParams& p, std::int64_t h, std::int64_t w) {
  const double th = radians(p.theta), sh = radians(p.shear);
  Matrix m = {{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  m = multiply(m, {{{std::cos(th), -std::sin(th), 0}, {std::sin(th), std::cos(th), 0}, {0, 0, 1}}});
  m = multiply(m, {{{1, 0, p.tx}, {0, 1, p.ty}, {0, 0, 1}}});
  m = multiply(m, {{{1, -std::sin(sh), 0}, {0, std::cos(sh), 0}, {0, 0, 1}}});
  m = multiply(m, {{{p.zx, 0, 0}, {0, p.zy, 0}, {0, 0, 1}}});
  const double oy = static_cast<double>(h) / 2 - 0.5, ox = static_cast<double>(w) / 2 - 0.5;
  m = multiply({{{1, 0, oy}, {0, 1, ox}, {0, 0, 1}}}, m);
  return multiply(m, {{{1, 0, -oy}, {0, 1, -ox}, {0, 0, 1}}});
}

// Index i of an axis of n pixels under the fill mode; -1 means "use cval".
std::int64_t fill_index(std::int64_t i, std::int64_t n, FillMode mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case FillMode::kConstant:
      return -1;
    case FillMode::kNearest:
      return i < 0 ? 0 : n - 1;
    case FillMode::kReflect: {
      const std::int64_t period = 2 * n;
      std::int64_t m = ((i % period) + period) % period;
      return m < n ? m : period - 1 - m;
    }
    case FillMode::kWrap:
      return ((i % n) + n) % n;
  }
  return -1;
}

// One [H, W, C] f32 image, inverse-mapped through `m`.
Tensor warp(const Tensor& src, const Matrix& m, FillMode mode, float cval) {
  const std::int64_t h = src.dim(0), w = src.dim(1), c = src.dim(2);
  Tensor out = Tensor::empty(src.shape(), DType::kF32);
  const float* s = src.data<float>();
  float* d = out.data<float>();
  for (std::int64_t r = 0; r < h; ++r) {
    for (std::int64_t col = 0; col < w; ++col, d += c) {
      const double y = m[0][0] * r + m[0][1] * col + m[0][2];
      const double x = m[1][0] * r + m[1][1] * col + m[1][2];
      // scipy's constant mode: a sample outside [0, n - 1] is cval, no blending.
      if (mode == FillMode::kConstant && (y < 0 || y > h - 1 || x < 0 || x > w - 1)) {
        for (std::int64_t k = 0; k < c; ++k) d[k] = cval;
        continue;
      }
      const auto y0 = static_cast<std::int64_t>(std::floor(y)), x0 = static_cast<std::int64_t>(std::floor(x));
      const auto fy = static_cast<float>(y - static_cast<double>(y0)), fx = static_cast<float>(x - static_cast<double>(x0));
      const std::array<std::int64_t, 2> ys{fill_index(y0, h, mode), fill_index(y0 + 1, h, mode)};
      const std::array<std::int64_t, 2> xs{fill_index(x0, w, mode), fill_index(x0 + 1, w, mode)};
      const std::array<float, 2> wy{1 - fy, fy}, wx{1 - fx, fx};
      for (std::int64_t k = 0; k < c; ++k) d[k] = 0;
      for (int a = 0; a < 2; ++a) {
        for (int b = 0; b < 2; ++b) {
          const float weight = wy[a] * wx[b];
          if (weight == 0) continue;
          if (ys[a] < 0 || xs[b] < 0) {  // a constant-mode neighbour just past the edge
            for (std::int64_t k = 0; k < c; ++k) d[k] += weight * cval;
            continue;
          }
          const float* p = s + (ys[a] * w + xs[b]) * c;
          for (std::int64_t k = 0; k < c; ++k) d[k] += weight * p[k];
        }
      }
    }
  }
  return out;
}

double uniform(Generator& gen, double lo, double hi) { return lo + (hi - lo) * gen.next_double(); }

void check_range(double value, const char* what) {
  SPOOL_CHECK(value >= 0 && std::isfinite(value), InvalidArgument, "AffineOptions: ", what,
              " must be finite and >= 0, got ", value);
}

}  // namespace

AffineOptions& AffineOptions::rotation_range(double degrees) {
  check_range(degrees, "rotation_range");
  rotation_range_ = degrees;
  return *this;
}
AffineOptions& AffineOptions::width_shift_range(double fraction) {
  check_range(fraction, "width_shift_range");
  width_shift_range_ = fraction;
  return *this;
}
AffineOptions& AffineOptions::height_shift_range(double fraction) {
  check_range(fraction, "height_shift_range");
  height_shift_range_ = fraction;
  return *this;
}
AffineOptions& AffineOptions::shear_range(double degrees) {
  check_range(degrees, "shear_range");
  shear_range_ = degrees;
  return *this;
}
AffineOptions& AffineOptions::zoom_range(double z) {
  check_range(z, "zoom_range");
  return zoom_range(1 - z, 1 + z);
}
AffineOptions& AffineOptions::zoom_range(double lower, double upper) {
  SPOOL_CHECK(lower > 0 && lower <= upper, InvalidArgument, "AffineOptions: zoom_range needs 0 < lower <= upper, got [",
              lower, ", ", upper, "]");
  zoom_lower_ = lower;
  zoom_upper_ = upper;
  return *this;
}

FillMode parse_fill_mode(const std::string& name) {
  if (name == "constant") return FillMode::kConstant;
  if (name == "nearest") return FillMode::kNearest;
  if (name == "reflect") return FillMode::kReflect;
  if (name == "wrap") return FillMode::kWrap;
  SPOOL_THROW(InvalidArgument, "fill_mode: unknown mode ", spool::quoted(name),
              " (expected constant, nearest, reflect or wrap)");
}

// Keras' get_random_transform: the draws happen in this order, each only when its
// option is set; shifts below 1 are fractions of the side.
AffineParams random_affine_params(const AffineOptions& o, std::int64_t height, std::int64_t width, Generator& gen) {
  AffineParams p;
  if (o.rotation_range() > 0) p.theta = uniform(gen, -o.rotation_range(), o.rotation_range());
  if (o.height_shift_range() > 0) {
    p.tx = uniform(gen, -o.height_shift_range(), o.height_shift_range());
    if (o.height_shift_range() < 1) p.tx *= static_cast<double>(height);
  }
  if (o.width_shift_range() > 0) {
    p.ty = uniform(gen, -o.width_shift_range(), o.width_shift_range());
    if (o.width_shift_range() < 1) p.ty *= static_cast<double>(width);
  }
  if (o.shear_range() > 0) p.shear = uniform(gen, -o.shear_range(), o.shear_range());
  if (o.zoom_lower() != 1 || o.zoom_upper() != 1) {
    p.zx = uniform(gen, o.zoom_lower(), o.zoom_upper());
    p.zy = uniform(gen, o.zoom_lower(), o.zoom_upper());
  }
  if (o.horizontal_flip()) p.flip = gen.next_double() < 0.5;
  return p;
}

Tensor apply_affine(const Tensor& image, const AffineParams& params, FillMode fill_mode, float cval) {
  const detail::ImageLayout l = detail::image_layout(image, "apply_affine");
  const Matrix m = compose(params, l.h, l.w);
  return detail::per_image(image, [&](const Tensor& one) {
    const Tensor warped = warp(detail::as_f32(one), m, fill_mode, cval);
    return params.flip ? flip_left_right(warped) : warped;
  });
}

Tensor random_affine(const Tensor& image, const AffineOptions& options, Generator& gen) {
  const detail::ImageLayout l = detail::image_layout(image, "random_affine");
  return detail::per_image(image, [&](const Tensor& one) {
    return apply_affine(one, random_affine_params(options, l.h, l.w, gen), options.fill_mode(), options.cval());
  });
}

RandomMapFn random_affine_fn(AffineOptions options, ImageComponent which) {
  return image_random_map_fn([options](const Tensor& t, Generator& g) { return random_affine(t, options, g); },
                             std::move(which));
}

}  // namespace spool::data
