// Inverted dropout with a gradient: each element kept with probability 1 − rate and
// scaled by 1 / (1 − rate), else zeroed, as tf.nn.dropout.
//
//   Generator gen(seed, step);                  // the mask is a function of the generator
//   Tensor h = dropout(x, 0.5, gen);       // training; at inference, just use x
//
// The mask is drawn in row-major order, one next_double() per element, so the same
// generator state gives the same mask on every machine and thread count. The gradient
// is dy times the same scaled mask (dropout is a multiply by a constant).
// rate must lie in [0, 1); rate 0 returns x itself.
// Thread-safety: gen is used by the calling thread only.
#pragma once

#include "spool/tensor/random.h"
#include "spool/tensor/tensor.h"

namespace spool {

Tensor dropout(const Tensor& x, double rate, Generator& gen);

}  // namespace spool
