// Optimizer: the base of SGD, Adam, RMSprop and Adagrad — Keras' optimizer contract
// (apply_gradients, iterations, clipnorm / global_clipnorm, a learning rate or a
// schedule) with state kept in flat buffers laid out like the variables' arena.
//
//   autodiff::Adam adam(autodiff::AdamOptions().learning_rate(1e-3).global_clipnorm(5));
//   std::vector<Variable> vars = arena.trainable_variables();
//   {
//     autodiff::GradientTape tape;
//     Tensor loss = model_loss(x, y);
//     grads = tape.gradient(loss, vars);
//   }
//   adam.apply_gradients(grads, vars);     // TF: opt.apply_gradients(zip(grads, vars))
//
// - apply_gradients(grads, variables): grads[i] updates variables[i]; same dtype and
//   shape (InvalidArgument naming the variable otherwise). An undefined gradient (the
//   loss does not depend on the variable through recorded ops: an unconnected source, a
//   path through an integer tensor or a raw kernels:: call) leaves its variable and
//   slots untouched, as Keras skips None, and is never silent: by default a warning
//   names the variables ("gradients do not exist for variables 'w', 'b' when
//   minimizing the loss", Keras' words; once per set of names), and
//   missing_gradients(MissingGradients::kError) throws InvalidArgument instead, before
//   anything is updated. kIgnore is for loops that skip variables on purpose.
//   The update writes the variables' bytes in place through unwatched_value(): it runs
//   no op, so no tape records it, and tensors read from the variables earlier see the
//   new values.
// - Slots (moments, accumulators) are made on first sight of a variable (or by
//   build()). Variables that share one arena get one buffer per slot laid out like the
//   arena, so an update is one tight loop per contiguous run of variables — one loop
//   for the whole model when the gradients are views of one gradient buffer laid out
//   like the arena, one per variable for the gradients a tape returns. A standalone
//   variable gets buffers of its own.
// - iterations(): the number of apply_gradients calls so far. The learning rate (or
//   schedule) is evaluated at iterations() before a step; Adam's bias correction uses
//   iterations() + 1, as Keras does.
// - clipnorm: each gradient scaled by clipnorm / max(norm, clipnorm) (Keras'
//   clip_by_norm); global_clipnorm: all scaled by global_clipnorm / max(global norm,
//   global_clipnorm) (tf.clip_by_global_norm). At most one of them (Keras refuses both).
//   Clipping scales inside the update loop: the gradient tensors are not modified.
// - state() / load_state(): the slots as named tensors
//   "optimizer/<kind>/<slot>/<variable name>" plus "optimizer/<kind>/iterations" (i64
//   scalar), for checkpoints (checkpoint.h). load_state needs the variables known
//   (build() them first; restore_checkpoint does) and refuses, before changing
//   anything, a missing tensor or one of the wrong shape or dtype, naming the variable.
//
// Lifetime: the optimizer keeps handles to the variables it has seen (they stay alive).
// state()'s tensors view the slot buffers: valid, and changing, until the optimizer goes.
// - Inside a replica of a distribution strategy (distribute/strategy.h), every
//   replica calls apply_gradients with its own gradients and one step is taken with
//   their sum, as in TensorFlow, each replica updating its share of the elements
//   (cross_replica.h).
// Thread-safety: one thread at a time; nothing else may use the variables during
// apply_gradients. Under a strategy, the replicas' concurrent calls are that one.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "spool/autodiff/optim/learning_rate.h"
#include "spool/autodiff/variable.h"
#include "spool/tensor/tensor.h"
#include "spool/tensor/tensor_file.h"

namespace spool::autodiff {

// What apply_gradients does with a variable whose gradient is undefined.
enum class MissingGradients { kWarn, kError, kIgnore };

// What every optimizer's options carry.
struct OptimizerCommon {
  LearningRate learning_rate;
  double clipnorm = 0;         // 0: off
  double global_clipnorm = 0;  // 0: off
  MissingGradients missing_gradients = MissingGradients::kWarn;
};

// The chainable setters every options struct shares (CRTP: they return the derived type).
template <typename Derived>
class OptimizerOptions {
 public:
  Derived& learning_rate(double lr) { return set(common_.learning_rate, LearningRate(lr)); }
  Derived& learning_rate(std::shared_ptr<const LearningRateSchedule> schedule) {
    return set(common_.learning_rate, LearningRate(std::move(schedule)));
  }
  Derived& clipnorm(double v) { return set(common_.clipnorm, v); }
  Derived& global_clipnorm(double v) { return set(common_.global_clipnorm, v); }
  Derived& missing_gradients(MissingGradients m) { return set(common_.missing_gradients, m); }
  const OptimizerCommon& common() const { return common_; }

 protected:
  explicit OptimizerOptions(double default_learning_rate) : common_{LearningRate(default_learning_rate)} {}
  template <typename Field, typename Value>
  Derived& set(Field& field, Value value) {
    field = std::move(value);
    return static_cast<Derived&>(*this);
  }

 private:
  OptimizerCommon common_;
};

class Optimizer {
 public:
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  void apply_gradients(std::span<const Tensor> grads, std::span<const Variable> variables);
  // The same step, outside a strategy's replica, with the learning rate multiplied by
  // learning_rate_scale (>= 0): a parameter server's staleness-aware step size
  // (distribute/parameter_server.h).
  void apply_gradients(std::span<const Tensor> grads, std::span<const Variable> variables,
                       double learning_rate_scale);
  // Makes the slots of variables not seen before; harmless for known ones.
  void build(std::span<const Variable> variables);

  std::int64_t iterations() const { return iterations_; }
  // The learning rate the next step will use.
  double current_learning_rate() const { return common_.learning_rate.at(iterations_); }
  double clipnorm() const { return common_.clipnorm; }
  double global_clipnorm() const { return common_.global_clipnorm; }
  // "sgd", "adam", "rmsprop", "adagrad": the <kind> of the state names.
  const std::string& kind() const { return kind_; }

  std::vector<NamedTensor> state() const;
  void load_state(const std::vector<NamedTensor>& tensors);

  static constexpr std::size_t kMaxSlots = 3;
  // A slot an optimizer keeps per variable element, and its initial value.
  struct SlotSpec {
    std::string name;
    double initial_value = 0;
  };

 protected:
  // A contiguous run of n elements of one dtype: parameters, their gradient (to be
  // multiplied by grad_scale) and the slots, in the order of the SlotSpecs.
  struct Run {
    DType dtype;
    void* param;
    const void* grad;
    std::array<void*, kMaxSlots> slots{};
    std::int64_t n;
    double grad_scale;

    template <typename T>
    T* param_as() const { return static_cast<T*>(param); }
    template <typename T>
    const T* grad_as() const { return static_cast<const T*>(grad); }
    // nullptr for a slot index past the optimizer's slots (an option that is off).
    template <typename T>
    T* slot_as(std::size_t i) const { return i < kMaxSlots ? static_cast<T*>(slots[i]) : nullptr; }
    // fn(T{}) with T the element type, float or double.
    template <typename Fn>
    void visit(Fn&& fn) const {
      if (dtype == DType::kF32) fn(float{});
      else fn(double{});
    }
  };

  Optimizer(std::string kind, const OptimizerCommon& common, std::vector<SlotSpec> slots);
  // `step` is iterations() + 1, Keras' local_step.
  virtual void update(const Run& run, double learning_rate, std::int64_t step) = 0;

 private:
  struct Entry {
    Variable variable;
    std::size_t group;
    std::int64_t offset;  // of the variable in its group's slot buffers
  };
  struct Pending;
  std::string slot_name(std::size_t slot, const Variable& v) const;
  std::string iterations_name() const { return "optimizer/" + kind_ + "/iterations"; }
  Tensor slot_view(const Entry& e, std::size_t slot) const;
  void set_grad_scales(std::vector<Pending>& pending) const;
  void report_missing(std::span<const Tensor> grads, std::span<const Variable> variables);
  // While this thread traces a function (graph/function.h): records the update as a
  // node of its plan and returns true.
  bool recorded_as_node(std::span<const Tensor> grads, std::span<const Variable> variables, double learning_rate_scale);
  // apply_gradients in three steps, so that the replicas of a strategy can share the
  // update: the runs to update (checks, slots, clipping; sets *learning_rate; *kept
  // holds the gradients the runs point into), part `part` of `parts` of every run's
  // elements, then iterations_ + 1.
  std::vector<Run> prepare_runs(std::span<const Tensor> grads, std::span<const Variable> variables,
                                double* learning_rate, std::vector<Tensor>* kept, double learning_rate_scale = 1);
  void update_runs(const std::vector<Run>& runs, double learning_rate, int part, int parts);
  void update_in_chunks(const Run& run, double learning_rate);
  // prepare_runs' result under a strategy: made by replica 0, read by every replica.
  std::vector<Run> shared_runs_;
  std::vector<Tensor> shared_grads_;
  double shared_learning_rate_ = 0;

  // Elements per kernel-pool chunk at least, as tensor/kernels' elementwise ops: the
  // 784-128-10 MLP's largest variable (100 K) stays on one thread, since waking a
  // second one costs more than it saves on a busy machine; larger models spread
  // (bench_training optimizer/*/threads:2).
  static constexpr std::int64_t kParallelGrain = 1 << 16;
  // The largest step count load_state accepts.
  static constexpr std::int64_t kMaxIterations = std::int64_t{1} << 53;
  // Under Granularity::kFine (tensor/thread_pool.h) the MLP's 100 K split too.
  static constexpr std::int64_t kParallelGrainFine = 1 << 15;

  std::string kind_;
  OptimizerCommon common_;
  std::vector<SlotSpec> slot_specs_;
  std::int64_t iterations_ = 0;
  std::vector<Entry> entries_;
  std::unordered_map<const void*, std::size_t> index_;  // variable identity -> entries_
  std::vector<std::vector<Tensor>> groups_;             // [group][slot]: 1-D buffers
  std::unordered_set<std::string> warned_missing_;      // name lists already warned about
};

}  // namespace spool::autodiff
