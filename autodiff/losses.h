// <spool/autodiff/losses.h>: Keras' losses in namespace spool::losses (losses/losses.h
// says what each computes), built from recorded ops.
//
//   losses::SparseCategoricalCrossentropy loss_fn(losses::LossOptions().from_logits(true));
//   Tensor loss = loss_fn(labels, logits);
//
// Thread-safety: pure functions; loss objects are immutable.
#pragma once

#include "spool/autodiff/losses/losses.h"
