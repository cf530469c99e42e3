// Random numbers from an explicit, splittable, counter-based Generator (Philox4x32-10),
// and the tensor initialisers built on it.
//
//   Generator gen(42);
//   Tensor w = glorot_uniform(Shape{784, 128}, gen);     // Keras' default Dense init
//   Generator child = gen.fork(3);                      // independent, reproducible
//   Generator per_element(/*seed=*/42, /*stream=*/epoch * 1000003 + index);
//
// There is no hidden global generator: every random draw names its Generator. The
// numbers are a pure function of (seed, stream, position), so the same seed gives the
// same numbers on every machine and in every thread layout, and a data pipeline can key
// a generator by (seed, epoch, element) to make augmentation independent of workers.
// Thread-safety: a Generator is a small value; one instance is used by one thread at a
// time. Copies continue independently from the same position (and so repeat numbers).
#pragma once

#include <array>
#include <cstdint>

#include "spool/tensor/tensor.h"

namespace spool {

// Philox4x32 with 10 rounds (Salmon et al., SC'11): counter (4 x u32) and key (2 x u32)
// in, 4 random u32 out.
std::array<std::uint32_t, 4> philox4x32(std::array<std::uint32_t, 4> counter, std::array<std::uint32_t, 2> key);

class Generator {
 public:
  explicit Generator(std::uint64_t seed, std::uint64_t stream = 0) : key_(seed), stream_(stream) {}

  // A generator whose sequence is independent of this one's and of other ids'
  // (a new key derived from this key, stream and id); this one is not advanced.
  Generator fork(std::uint64_t id) const;

  std::uint32_t next_u32();
  std::uint64_t next_u64();
  // Uniform in [0, 1), 24 random bits.
  float next_float();
  // Uniform in [0, 1), 53 random bits.
  double next_double();
  // Standard normal (Box-Muller on two doubles).
  double next_normal();

  std::uint64_t seed() const { return key_; }
  std::uint64_t stream() const { return stream_; }
  // How many 128-bit blocks have been drawn; with seed() and stream() this is the state.
  std::uint64_t position() const { return block_; }
  void set_position(std::uint64_t block) {
    block_ = block;
    used_ = 4;
  }

 private:
  std::uint64_t key_;
  std::uint64_t stream_;
  std::uint64_t block_ = 0;
  std::array<std::uint32_t, 4> buffer_{};
  int used_ = 4;
};

// Tensors of f32 (or f64) random values, filled in row-major order.
Tensor random_uniform(Shape shape, double low, double high, Generator& gen, DType dtype = DType::kF32);
Tensor random_normal(Shape shape, double mean, double stddev, Generator& gen, DType dtype = DType::kF32);
// Normal values more than two standard deviations from the mean are drawn again, as
// tf.random.truncated_normal.
Tensor truncated_normal(Shape shape, double mean, double stddev, Generator& gen, DType dtype = DType::kF32);

// Keras' fan computation: [in, out] for Dense kernels; [kh, kw, in, out] for conv kernels
// (receptive field kh*kw multiplies both).
struct Fans {
  double in = 0;
  double out = 0;
};
Fans compute_fans(const Shape& shape);

// Keras' VarianceScaling initialisers (tf.keras.initializers.*).
Tensor glorot_uniform(Shape shape, Generator& gen);  // U(±sqrt(6 / (in + out)))
Tensor glorot_normal(Shape shape, Generator& gen);   // truncated N(0, sqrt(2 / (in + out)) / .8796)
Tensor he_uniform(Shape shape, Generator& gen);      // U(±sqrt(6 / in))
Tensor he_normal(Shape shape, Generator& gen);       // truncated N(0, sqrt(2 / in) / .8796)

}  // namespace spool
