// <spool/autodiff/optim.h>: optimizers, learning-rate schedules, gradient clipping
// and checkpoints — what a training loop needs after GradientTape::gradient.
//
//   autodiff::VariableArena arena;
//   std::vector<Variable> vars = {arena.add("dense/kernel", w0), arena.add("dense/bias", b0)};
//   autodiff::Adam adam(autodiff::AdamOptions().learning_rate(1e-3));
//   for (step ...) {
//     std::vector<Tensor> grads;
//     {
//       autodiff::GradientTape tape;
//       grads = tape.gradient(loss_fn(x, y), vars);
//     }
//     adam.apply_gradients(grads, vars);
//   }
//   autodiff::save_checkpoint("ckpt", arena.variables(), &adam, {.step = adam.iterations()});
//
// Each header says how it may be used across threads.
#pragma once

#include "spool/autodiff/checkpoint.h"
#include "spool/autodiff/optim/adagrad.h"
#include "spool/autodiff/optim/adam.h"
#include "spool/autodiff/optim/clip.h"
#include "spool/autodiff/optim/learning_rate.h"
#include "spool/autodiff/optim/optimizer.h"
#include "spool/autodiff/optim/rmsprop.h"
#include "spool/autodiff/optim/sgd.h"
