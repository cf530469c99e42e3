// <spool/autodiff/layers.h>: every layer, with Keras' names, defaults and semantics,
// in namespace spool::layers.
//
//   using namespace spool;
//   layers::Sequential model;
//   model.add(layers::Dense(layers::DenseOptions(128).activation("relu")))
//        .add(layers::Dropout(0.2))
//        .add(layers::Dense(layers::DenseOptions(10)));
//   model.build(Shape{784}, /*seed=*/1);
//
// layer.h explains the interface (per-example shapes, names, CallContext); each layer's
// header its options. Thread-safety: see layer.h.
#pragma once

#include "spool/autodiff/layers/batch_normalization.h"
#include "spool/autodiff/layers/conv2d.h"
#include "spool/autodiff/layers/core.h"
#include "spool/autodiff/layers/dense.h"
#include "spool/autodiff/layers/embedding.h"
#include "spool/autodiff/layers/layer.h"
#include "spool/autodiff/layers/merge.h"
#include "spool/autodiff/layers/pooling.h"
