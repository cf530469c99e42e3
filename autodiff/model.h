// <spool/autodiff/model.h>: what a training loop needs to define a model and score it —
// the layers, the models (Model, the base a subclass extends; Sequential; the
// functional API's Input, connect and FunctionalModel — each with one VariableArena,
// summary() and a const, thread-safe infer()), the losses (spool::losses) and the
// metrics (spool::metrics).
//
//   layers::Sequential model;
//   model.add(layers::Flatten()).add(layers::Dense(layers::DenseOptions(10)));
//   model.build(Shape{28, 28, 1}, 42);
//   losses::SparseCategoricalCrossentropy loss_fn(losses::LossOptions().from_logits(true));
//   metrics::SparseCategoricalAccuracy accuracy;
//   autodiff::GradientTape tape;
//   Tensor logits = model(images, {.training = true});
//   Tensor loss = loss_fn(labels, logits);
//   std::vector<Tensor> grads = tape.gradient(loss, model.trainable_variables());
//   accuracy.update(labels, logits);
//
// Thread-safety: see each header; a model trains on one thread at a time, and serves
// (infer) from any number.
#pragma once

#include "spool/autodiff/layers.h"
#include "spool/autodiff/layers/functional.h"
#include "spool/autodiff/layers/model.h"
#include "spool/autodiff/layers/sequential.h"
#include "spool/autodiff/losses.h"
#include "spool/autodiff/metrics.h"
