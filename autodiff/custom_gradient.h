// custom_gradient: a function whose gradient the user writes, as tf.custom_gradient.
//
//   // log(1 + exp(x)) with a gradient that stays finite for large x
//   Tensor y = autodiff::custom_gradient({x}, [](const std::vector<Tensor>& in) {
//     Tensor out = spool::kernels::log(spool::kernels::add(spool::kernels::exp(in[0]), 1.0));
//     return autodiff::CustomGradient{out, [e = in[0]](const Tensor& dy) {
//       return std::vector<Tensor>{mul(dy, sigmoid(e))};
//     }};
//   });
//
// `forward` runs with every tape of the thread paused, so nothing inside it is
// recorded; then one node records output = f(inputs) with the user's gradient, which
// returns one tensor per input (undefined for "none"), shaped like it. Built from 
// calls, that gradient can itself be differentiated by an outer tape.
// Variables read inside `forward` are not watched (the tapes are paused): pass their
// values as inputs to get their gradients.
// Thread-safety: runs on the calling thread, recording to its tapes.
#pragma once

#include <functional>
#include <vector>

#include "spool/tensor/tensor.h"

namespace spool::autodiff {

struct CustomGradient {
  Tensor output;
  // dy (shaped like output) -> one gradient per input.
  std::function<std::vector<Tensor>(const Tensor& dy)> gradient;
};

Tensor custom_gradient(const std::vector<Tensor>& inputs,
                       const std::function<CustomGradient(const std::vector<Tensor>&)>& forward);

}  // namespace spool::autodiff
