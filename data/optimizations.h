// Optimizations: the rewrites a pipeline goes through before it runs, each switchable
// (tf.data.Options().experimental_optimization).
//
//   auto it = ds.with_options(Options().optimizations(Optimizations().map_fusion(true))).make_iterator();
//   std::cout << it.stats();   // the stages that run: "parse_example_batch" where the
//                              // pipeline said map(parse_example(spec)).batch(256)
//
// A rewrite keeps every element and its order; what changes is the stages that run,
// so it.stats() lists the rewritten pipeline, and an iterator state saved under one
// set of rewrites restores only under the same set (the stage names differ otherwise,
// and the restore says which). Errors still arrive at the batch or element that holds
// the failing one, with the map's name and the element index, but a fused
// parse_example_batch reports a bad record with its own message, and after an error
// inside a batch it goes on with the next batch's records where the unfused batch would
// start its next batch right after the bad element. Stages made at run time (the
// datasets an interleave opens) run as written.
//
// tf.data's shuffle_and_repeat_fusion has no counterpart: it exists so that a shuffle
// under a repeat reshuffles each epoch without a new iterator per pass, and Spool's
// shuffle already draws a new order per epoch of the repeat above it (ops/shuffle.h)
// while the output a fusion must keep is that of a new shuffle per pass.
//
// Defaults follow tf.data (on, except map_fusion), except map_parallelization, which
// is off: on two cores a parallel map of a function of a few microseconds costs more
// in hand-offs than it gains (bench_pipeline's tfrecord_parse_batch and parallel_map
// show it), and a C++ function cannot be proven stateless as a TensorFlow graph can.
// Thread-safety: a plain value.
#pragma once

namespace spool::data {

class Optimizations {
 public:
  // Every rewrite off: the pipeline runs exactly as written.
  static Optimizations none() {
    return Optimizations().map_and_batch_fusion(false).slice_batch_fusion(false).map_fusion(false)
        .noop_elimination(false).map_parallelization(false);
  }

  // batch over an inline map runs as one stage ("<map>+batch"), batch over
  // map(parse_example(spec)) as parse_example_batch(spec) when the spec allows it (no
  // tensor per record), and batch over a map of elementwise functions (map.h:
  // rescale_fn, convert_dtype_fn) as the batch, then the map over each batch (one call
  // per batch; an error it raises names the batch's index rather than an element's).
  Optimizations& map_and_batch_fusion(bool on) {
    map_and_batch_fusion_ = on;
    return *this;
  }
  bool map_and_batch_fusion() const { return map_and_batch_fusion_; }

  // batch over from_tensor_slices, also through a shuffle, a repeat or both in that
  // order (tensor_slices -> shuffle -> repeat -> batch, the in-memory training input),
  // runs as one stage ("tensor_slices+shuffle+repeat+batch") that copies each batch's
  // rows straight from the source tensors: its shuffle buffer holds row numbers, and
  // no element is made per row. It makes the shuffle's draws, so the order is the
  // same. No counterpart in tf.data, where a slice is cheap next to a graph op; here
  // the per-row elements cost more than the copies (bench_pipeline fashion_mnist).
  Optimizations& slice_batch_fusion(bool on) {
    slice_batch_fusion_ = on;
    return *this;
  }
  bool slice_batch_fusion() const { return slice_batch_fusion_; }

  // Consecutive maps with the same parallelism and determinism run as one stage ("map+normalize").
  // Off by default, as in tf.data: fusing a cheap map into an expensive one can
  // only help, but fusing into a map that was inline keeps the expensive one inline.
  Optimizations& map_fusion(bool on) {
    map_fusion_ = on;
    return *this;
  }
  bool map_fusion() const { return map_fusion_; }

  // Drops stages that do nothing: skip(0), take(-1), shard(1, 0). (repeat(1) stays: it
  // numbers the epochs of the stages below it.)
  Optimizations& noop_elimination(bool on) {
    noop_elimination_ = on;
    return *this;
  }
  bool noop_elimination() const { return noop_elimination_; }

  // An inline map whose function is declared stateless (MapOptions().stateless(true);
  // parse_example's function is) runs with kAutotune parallelism.
  Optimizations& map_parallelization(bool on) {
    map_parallelization_ = on;
    return *this;
  }
  bool map_parallelization() const { return map_parallelization_; }

 private:
  bool map_and_batch_fusion_ = true;
  bool slice_batch_fusion_ = true;
  bool map_fusion_ = false;
  bool noop_elimination_ = true;
  bool map_parallelization_ = false;
};

}  // namespace spool::data
