// The models `spool train` trains, by name, so that a program that loads one of its
// checkpoints rebuilds the very architecture it saved (examples/classify does):
//
//   layers::Sequential model = layers::zoo_model("cnn", Shape{28, 28, 1}, /*outputs=*/10, /*seed=*/42);
//   autodiff::restore_checkpoint("run", model.variables(), nullptr);
//
// "mlp": Flatten-Dense128(relu)-Dense(outputs).
// "cnn": the course's Conv32-Pool-Conv64-Pool-Flatten-Dense128(relu)-Dense(outputs);
//   with one output (a binary classifier, the course's horses-or-humans on 150x150)
//   three blocks instead: Conv16-Pool-Conv32-Pool-Conv64-Pool-Flatten-Dense128-Dense1.
// Convolutions are 3x3 with relu, pools 2x2; the model outputs logits (use losses with
// from_logits). The Sequential is named after the kind and built for `input_shape`
// (per example, [H, W, C]) with Sequential::build's deterministic initialisation.
// Errors: InvalidArgument for an unknown kind (naming the known ones) or outputs < 1.
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <string>

#include "spool/autodiff/layers/sequential.h"

namespace spool::layers {

Sequential zoo_model(const std::string& kind, const Shape& input_shape, std::int64_t outputs, std::uint64_t seed);

}  // namespace spool::layers
