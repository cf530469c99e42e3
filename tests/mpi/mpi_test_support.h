// What the programs that mpirun starts for tests/mpi share: a check that counts
// failures and names the rank (each program prints "rank R: SCENARIO ok" when none
// failed), and the small blobs problem they train on.
#pragma once

#include <iostream>
#include <random>
#include <utility>

#include "spool/spool.h"

namespace spool::mpi_testing {

inline int failures = 0;
inline int rank = 0;

#define CHECK_THAT(cond, ...)                                                                            \
  do {                                                                                                   \
    if (!(cond)) {                                                                                       \
      std::cerr << "rank " << ::spool::mpi_testing::rank << ": check failed: " #cond " " << __VA_ARGS__ << "\n"; \
      ++::spool::mpi_testing::failures;                                                                  \
    }                                                                                                    \
  } while (false)

// Separable gaussian blobs, 8 features, 4 classes (as tests/distribute/fit_test_support.h).
inline std::pair<Tensor, Tensor> blobs(std::int64_t n) {
  std::mt19937 gen(5);
  std::normal_distribution<float> noise(0, 1);
  Tensor x = Tensor::empty(Shape{n, 8}, DType::kF32), y = Tensor::empty(Shape{n}, DType::kI64);
  for (std::int64_t i = 0; i < n; ++i) {
    y.data<std::int64_t>()[i] = i % 4;
    for (int j = 0; j < 8; ++j) x.data<float>()[i * 8 + j] = noise(gen) + (j == i % 4 ? 4.0f : 0.0f);
  }
  return {x, y};
}

// Dense16(relu)-Dense4 logits, seed 3.
inline layers::Sequential blob_model() {
  layers::Sequential model("blobs");
  model.add(layers::Dense(layers::DenseOptions(16).activation("relu"))).add(layers::Dense(layers::DenseOptions(4)));
  model.build(Shape{8}, 3);
  return model;
}

}  // namespace spool::mpi_testing
