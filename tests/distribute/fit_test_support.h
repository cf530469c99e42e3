// What the fit and callbacks tests share: a learnable in-memory problem (gaussian
// blobs, one per class, far enough apart that a small MLP separates them in a few
// epochs), the model for it, and a trainer bundled with its loss and optimizer.
//
//   Blobs data = blobs(300, /*seed=*/1);
//   BlobRun run(/*seed=*/7);
//   History h = run.trainer.fit(batches(data, 32, 3), silent().epochs(4));
//   std::string weights = variable_bytes(run.model);
//
// Thread-safety: plain test helpers.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "spool/autodiff/model.h"
#include "spool/autodiff/optim/adam.h"
#include "spool/data/dataset.h"
#include "spool/distribute/fit.h"

namespace spool::distribute::fit_testing {

inline constexpr std::int64_t kFeatures = 8;
inline constexpr std::int64_t kClasses = 4;

struct Blobs {
  Tensor x;  // f32 [n, kFeatures]
  Tensor y;  // i64 [n], class ids
};

// Class c is centred at 4·e_c with unit-variance noise, so the classes are separable up
// to a tiny Bayes error. mt19937 and our own Box-Muller (not std::normal_distribution,
// whose algorithm is the library's choice) make the data the same everywhere.
inline Blobs blobs(std::int64_t n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  const auto uniform = [&] { return (static_cast<double>(gen() >> 8) + 0.5) / 16777216.0; };
  Blobs b{Tensor::empty(Shape{n, kFeatures}, DType::kF32), Tensor::empty(Shape{n}, DType::kI64)};
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t c = i % kClasses;
    b.y.at<std::int64_t>({i}) = c;
    for (std::int64_t j = 0; j < kFeatures; ++j) {
      const double normal = std::sqrt(-2 * std::log(uniform())) * std::cos(6.283185307179586 * uniform());
      b.x.at<float>({i, j}) = static_cast<float>(normal + (j == c ? 4.0 : 0.0));
    }
  }
  return b;
}

// Shuffled every epoch (seeded), batched, prefetched: the shape of a real input
// pipeline.
inline data::Dataset batches(const Blobs& b, std::int64_t batch_size, std::uint64_t shuffle_seed) {
  const data::Dataset ds = data::Dataset::from_tensor_slices({b.x, b.y});
  return ds.shuffle(ds.cardinality(), shuffle_seed).batch(batch_size).prefetch(2);
}

// In file order, for evaluation.
inline data::Dataset in_order(const Blobs& b, std::int64_t batch_size) {
  return data::Dataset::from_tensor_slices({b.x, b.y}).batch(batch_size);
}

// Dense16(relu)-Dropout-Dense(kClasses) logits; Dropout makes a resumed run depend on
// the trainer restoring the step its masks are drawn from.
inline layers::Sequential blob_model(std::uint64_t seed, double dropout = 0.2) {
  layers::Sequential model("blobs");
  model.add(layers::Dense(layers::DenseOptions(16).activation("relu")))
      .add(layers::Dropout(dropout))
      .add(layers::Dense(layers::DenseOptions(kClasses)));
  model.build(Shape{kFeatures}, seed);
  return model;
}

// A model with the loss, optimizer and trainer that train it (the trainer keeps
// references, so they live together and the bundle does not move).
struct BlobRun {
  layers::Sequential model;
  losses::SparseCategoricalCrossentropy loss{losses::LossOptions().from_logits(true)};
  autodiff::Adam adam;
  Trainer trainer;

  explicit BlobRun(std::uint64_t seed, double learning_rate = 0.01)
      : model(blob_model(seed)),
        adam(autodiff::AdamOptions().learning_rate(learning_rate)),
        trainer(model, loss, adam, {"accuracy"}) {}
  BlobRun(const BlobRun&) = delete;
  BlobRun& operator=(const BlobRun&) = delete;
};

// A process dying at `step`: throws from the step's on_batch_end, after the callbacks
// registered before it (a checkpoint) ran.
class CrashAtStep : public Callback {
 public:
  explicit CrashAtStep(std::int64_t step) : step_(step) {}
  void on_batch_end(std::int64_t step, Trainer&) override {
    if (step == step_) throw std::runtime_error("simulated crash at step " + std::to_string(step));
  }

 private:
  std::int64_t step_;
};

// FitOptions that print nothing (tests read History, not the bar).
inline FitOptions silent() { return FitOptions().progress(ProgressBar::Mode::kSilent); }

// Every variable's bytes, in arena order: equal strings are bit-identical weights.
inline std::string variable_bytes(const layers::Model& model) {
  const Tensor flat = model.arena().flat();
  return std::string(reinterpret_cast<const char*>(flat.raw_data()), flat.numel() * flat.element_size());
}

}  // namespace spool::distribute::fit_testing
