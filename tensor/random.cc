#include "spool/tensor/random.h"

#include <cmath>
#include <numbers>

namespace spool {

namespace {

constexpr std::uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr std::uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr std::uint32_t kPhiloxW0 = 0x9E3779B9u;  // golden ratio
constexpr std::uint32_t kPhiloxW1 = 0xBB67AE85u;  // sqrt(3) - 1

// Truncating a normal at ±2σ shrinks its standard deviation by this factor; Keras
// divides it out so the initialiser's variance is the one asked for.
constexpr double kTruncatedNormalStddev = 0.87962566103423978;

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

template <typename Draw>
Tensor fill_random(Shape shape, DType dtype, Draw draw) {
  SPOOL_CHECK(dtype == DType::kF32 || dtype == DType::kF64, InvalidArgument, "random tensors are f32 or f64, not ",
              dtype_name(dtype));
  Tensor t = Tensor::empty(std::move(shape), dtype);
  const std::int64_t n = t.numel();
  if (dtype == DType::kF32) {
    float* p = t.data<float>();
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(draw());
  } else {
    double* p = t.data<double>();
    for (std::int64_t i = 0; i < n; ++i) p[i] = draw();
  }
  return t;
}

}  // namespace

std::array<std::uint32_t, 4> philox4x32(std::array<std::uint32_t, 4> c, std::array<std::uint32_t, 2> k) {
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = static_cast<std::uint64_t>(kPhiloxM0) * c[0];
    const std::uint64_t p1 = static_cast<std::uint64_t>(kPhiloxM1) * c[2];
    c = {static_cast<std::uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<std::uint32_t>(p1),
         static_cast<std::uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<std::uint32_t>(p0)};
    k[0] += kPhiloxW0;
    k[1] += kPhiloxW1;
  }
  return c;
}

Generator Generator::fork(std::uint64_t id) const {
  return Generator(splitmix64(key_ ^ splitmix64(stream_ ^ splitmix64(id))), 0);
}

std::uint32_t Generator::next_u32() {
  if (used_ == 4) {
    buffer_ = philox4x32({static_cast<std::uint32_t>(block_), static_cast<std::uint32_t>(block_ >> 32),
                          static_cast<std::uint32_t>(stream_), static_cast<std::uint32_t>(stream_ >> 32)},
                         {static_cast<std::uint32_t>(key_), static_cast<std::uint32_t>(key_ >> 32)});
    ++block_;
    used_ = 0;
  }
  return buffer_[static_cast<std::size_t>(used_++)];
}

std::uint64_t Generator::next_u64() {
  const std::uint64_t lo = next_u32();
  return lo | (static_cast<std::uint64_t>(next_u32()) << 32);
}

float Generator::next_float() { return static_cast<float>(next_u32() >> 8) * 0x1.0p-24f; }

double Generator::next_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Generator::next_normal() {
  // 1 - u keeps the logarithm's argument in (0, 1].
  const double u1 = 1.0 - next_double();
  const double u2 = next_double();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

Tensor random_uniform(Shape shape, double low, double high, Generator& gen, DType dtype) {
  SPOOL_CHECK(low <= high, InvalidArgument, "random_uniform: low ", low, " > high ", high);
  return fill_random(std::move(shape), dtype, [&] { return low + (high - low) * gen.next_double(); });
}

Tensor random_normal(Shape shape, double mean, double stddev, Generator& gen, DType dtype) {
  SPOOL_CHECK(stddev >= 0, InvalidArgument, "random_normal: stddev ", stddev, " is negative");
  return fill_random(std::move(shape), dtype, [&] { return mean + stddev * gen.next_normal(); });
}

Tensor truncated_normal(Shape shape, double mean, double stddev, Generator& gen, DType dtype) {
  SPOOL_CHECK(stddev >= 0, InvalidArgument, "truncated_normal: stddev ", stddev, " is negative");
  return fill_random(std::move(shape), dtype, [&] {
    double z;
    do z = gen.next_normal();
    while (std::abs(z) > 2.0);
    return mean + stddev * z;
  });
}

Fans compute_fans(const Shape& shape) {
  const auto& d = shape.dims();
  if (d.empty()) return {1, 1};
  if (d.size() == 1) return {static_cast<double>(d[0]), static_cast<double>(d[0])};
  double receptive = 1;
  for (std::size_t i = 0; i + 2 < d.size(); ++i) receptive *= static_cast<double>(d[i]);
  return {receptive * static_cast<double>(d[d.size() - 2]), receptive * static_cast<double>(d.back())};
}

Tensor glorot_uniform(Shape shape, Generator& gen) {
  const Fans f = compute_fans(shape);
  const double limit = std::sqrt(6.0 / std::max(1.0, f.in + f.out));
  return random_uniform(std::move(shape), -limit, limit, gen);
}

Tensor glorot_normal(Shape shape, Generator& gen) {
  const Fans f = compute_fans(shape);
  const double stddev = std::sqrt(2.0 / std::max(1.0, f.in + f.out)) / kTruncatedNormalStddev;
  return truncated_normal(std::move(shape), 0.0, stddev, gen);
}

Tensor he_uniform(Shape shape, Generator& gen) {
  const double limit = std::sqrt(6.0 / std::max(1.0, compute_fans(shape).in));
  return random_uniform(std::move(shape), -limit, limit, gen);
}

Tensor he_normal(Shape shape, Generator& gen) {
  const double stddev = std::sqrt(2.0 / std::max(1.0, compute_fans(shape).in)) / kTruncatedNormalStddev;
  return truncated_normal(std::move(shape), 0.0, stddev, gen);
}

}  // namespace spool
