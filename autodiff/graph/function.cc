#include "spool/autodiff/graph/function.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <sstream>

#include "spool/autodiff/graph/detail/granularity_tuner.h"
#include "spool/autodiff/graph/detail/plan_memory.h"
#include "spool/autodiff/graph/detail/tracer.h"
#include "spool/autodiff/graph/plan.h"
#include "spool/autodiff/record.h"
#include "spool/tensor/error.h"
#include "spool/tensor/thread_pool.h"
#include "spool/tensor/warning.h"

namespace spool {
namespace {

using graph::detail::Plan;

struct Signature {
  std::vector<DType> dtypes;
  std::vector<std::vector<std::int64_t>> dims;
  friend bool operator==(const Signature&, const Signature&) = default;
};

Signature signature_of(std::span<const Tensor> args) {
  Signature s;
  for (const Tensor& t : args) {
    SPOOL_CHECK(t.defined(), InvalidArgument, "spool::function: argument ", s.dtypes.size(), " is undefined");
    s.dtypes.push_back(t.dtype());
    s.dims.push_back(t.shape().dims());
  }
  return s;
}

std::string describe(DType dtype, const std::vector<std::int64_t>& dims) {
  std::ostringstream out;
  out << dtype_name(dtype) << "[";
  for (std::size_t i = 0; i < dims.size(); ++i) out << (i ? "," : "") << (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  out << "]";
  return out.str();
}

void copy_into(const Tensor& dst, const Tensor& src) {
  const Tensor c = src.contiguous();
  if (c.numel() > 0) std::memcpy(dst.raw_data(), c.raw_data(), static_cast<std::size_t>(c.numel()) * c.element_size());
}

// A plan's input: a wrapped storage that the plan's nodes view, normally on bytes of its
// own (the home), lent for one replay to the argument's bytes. Lending saves a copy of
// every argument per call, and the other core's first read of the batch from a cache
// that just wrote it (bench_training train_step/mlp/threads:2).
struct PlanInput {
  std::shared_ptr<std::byte[]> home;
  std::shared_ptr<Storage> storage;

  explicit PlanInput(const Tensor& like) {
    const std::size_t bytes = static_cast<std::size_t>(like.numel()) * like.element_size();
    home = graph::detail::allocate_arena_bytes(bytes);
    storage = Storage::wrap(home.get(), bytes, [](void*) {});
  }
  Tensor tensor(const Tensor& like) const { return Tensor(storage, like.dtype(), like.shape()); }

  // Points the plan at `arg` for one replay (it keeps `arg`'s storage alive until
  // given back), or copies `arg` home when its layout is not the plan's.
  void take(const Tensor& plan_input, const Tensor& arg) {
    if (arg.is_contiguous() && arg.numel() > 0) {
      storage->rebind(static_cast<std::byte*>(const_cast<void*>(arg.raw_data())),
                      [keep = arg.storage()](void*) {});
    } else {
      copy_into(plan_input, arg);
    }
  }
  void give_back() { storage->rebind(home.get(), [](void*) {}); }
};

// How many of the latest calls that must all have traced before the warning (TF's).
constexpr std::size_t kRetraceWindow = 5;

}  // namespace

struct Function::State {
  Body body;
  FunctionOptions options;
  struct Kept {
    Signature signature;
    std::unique_ptr<Plan> plan;
    std::vector<PlanInput> inputs;  // plan->inputs view their storages
    std::int64_t calls = 1;
    graph::detail::GranularityTuner tuner;
  };
  std::deque<Kept> plans;  // most recently used first
  std::int64_t traces = 0;
  std::deque<bool> recent;  // whether each of the latest calls traced
  Signature last_traced;
  bool warned = false;

  void check_signature(const Signature& s) const {
    const auto& spec = options.input_signature();
    if (spec.empty()) return;
    SPOOL_CHECK(spec.size() == s.dtypes.size(), InvalidArgument, "spool::function ", quoted(options.name()), ": ",
                s.dtypes.size(), " arguments, its input_signature has ", spec.size());
    for (std::size_t i = 0; i < spec.size(); ++i) {
      bool ok = spec[i].dtype == s.dtypes[i] && spec[i].dims.size() == s.dims[i].size();
      for (std::size_t d = 0; ok && d < spec[i].dims.size(); ++d)
        ok = spec[i].dims[d] < 0 || spec[i].dims[d] == s.dims[i][d];
      SPOOL_CHECK(ok, InvalidArgument, "spool::function ", quoted(options.name()), ": argument ", i, " is ",
                  describe(s.dtypes[i], s.dims[i]), ", its input_signature says ", describe(spec[i].dtype, spec[i].dims));
    }
  }

  void note_call(bool traced, const Signature& s) {
    recent.push_back(traced);
    if (recent.size() > kRetraceWindow) recent.pop_front();
    if (traced) {
      if (!warned && traces > 1 && options.input_signature().empty() && recent.size() == kRetraceWindow &&
          std::all_of(recent.begin(), recent.end(), [](bool b) { return b; })) {
        std::size_t arg = 0;
        while (arg < s.dims.size() && arg < last_traced.dims.size() && s.dims[arg] == last_traced.dims[arg] &&
               s.dtypes[arg] == last_traced.dtypes[arg])
          ++arg;
        std::ostringstream msg;
        msg << "spool::function " << quoted(options.name()) << " was traced again on each of its last "
            << kRetraceWindow << " calls (" << traces << " traces): argument " << arg << " keeps changing";
        if (arg < s.dims.size() && arg < last_traced.dims.size())
          msg << " (" << describe(last_traced.dtypes[arg], last_traced.dims[arg]) << ", then "
              << describe(s.dtypes[arg], s.dims[arg]) << ")";
        msg << "; every trace costs a full eager step and a plan. Give it fixed shapes (drop_remainder), or an "
               "input_signature with -1 where a size varies";
        warn(msg.str());
        warned = true;
      }
      last_traced = s;
    }
  }

  const Kept* most_called() const;

  std::vector<Tensor> trace(std::span<const Tensor> args, const Signature& s) {
    std::vector<PlanInput> homes;
    std::vector<Tensor> inputs;
    for (const Tensor& a : args) {
      homes.emplace_back(a);
      inputs.push_back(homes.back().tensor(a));
      copy_into(inputs.back(), a);
    }
    std::unique_ptr<Plan> plan = graph::detail::trace_plan(options.name(), inputs, body);
    ++traces;
    std::vector<Tensor> results;  // the arena kept what the trace computed for them
    for (const Tensor& t : plan->outputs) results.push_back(t.defined() ? t.clone() : Tensor());
    plans.push_front(Kept{s, std::move(plan), std::move(homes), 1, {}});
    if (plans.size() > std::max<std::size_t>(options.max_plans(), 1)) plans.pop_back();
    return results;
  }
};

Function::Function(Body body, FunctionOptions options) : state_(std::make_unique<State>()) {
  SPOOL_CHECK(body != nullptr, InvalidArgument, "spool::function: an empty body");
  state_->body = std::move(body);
  state_->options = std::move(options);
}

Function::~Function() = default;
Function::Function(Function&&) noexcept = default;
Function& Function::operator=(Function&&) noexcept = default;

std::vector<Tensor> Function::operator()(std::span<const Tensor> args) {
  State& st = *state_;
  // Called from another function's body: its ops join that trace, as TF inlines.
  if (graph::is_tracing()) return st.body(args);
  SPOOL_CHECK(!autodiff::is_recording(), InvalidArgument, "spool::function ", quoted(st.options.name()),
              ": called while a GradientTape records on this thread; a replay records nothing for it. Use the tape "
              "inside the function's body");
  const Signature s = signature_of(args);
  st.check_signature(s);
  auto it = std::find_if(st.plans.begin(), st.plans.end(), [&](const auto& p) { return p.signature == s; });
  if (it == st.plans.end()) {
    std::vector<Tensor> results = st.trace(args, s);
    st.note_call(true, s);
    return results;
  }
  if (it != st.plans.begin()) std::rotate(st.plans.begin(), it, it + 1);
  State::Kept& kept = st.plans.front();
  ++kept.calls;
  Plan& plan = *kept.plan;
  std::vector<Tensor> results;
  results.reserve(plan.outputs.size());
  {
    // The results are copied before the arguments are given back: one may be an argument.
    struct GiveBack {
      std::vector<PlanInput>& inputs;
      ~GiveBack() {
        for (PlanInput& in : inputs) in.give_back();
      }
    } give_back{kept.inputs};
    for (std::size_t i = 0; i < args.size(); ++i) kept.inputs[i].take(plan.inputs[i], args[i]);
    const UseGranularity granularity(kept.tuner.next(num_threads()));
    const auto start = std::chrono::steady_clock::now();
    plan.replay();
    kept.tuner.record(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    for (const Tensor& t : plan.outputs) results.push_back(t.defined() ? t.clone() : Tensor());
  }
  st.note_call(false, s);
  return results;
}

std::int64_t Function::retraces() const { return state_->traces; }
std::size_t Function::plans() const { return state_->plans.size(); }

const Function::State::Kept* Function::State::most_called() const {
  const Kept* best = nullptr;
  for (const Kept& k : plans)  // most recent first: a tie goes to the most recent
    if (best == nullptr || k.calls > best->calls) best = &k;
  return best;
}

std::string Function::graph() const {
  const State::Kept* kept = state_->most_called();
  if (kept == nullptr) return {};
  std::string text = kept->plan->describe();
  const auto& tuner = kept->tuner;
  if (tuner.coarse_seconds() > 0) {
    std::ostringstream line;
    line << "parallel granularity: " << (tuner.chosen() == Granularity::kFine ? "fine" : "coarse")
         << " (median replay " << tuner.fine_seconds() * 1e6 << " us fine, " << tuner.coarse_seconds() * 1e6
         << " us coarse, at the last measurement)\n";
    text += line.str();
  }
  return text;
}

std::string Function::dot() const {
  const State::Kept* kept = state_->most_called();
  return kept == nullptr ? std::string() : kept->plan->dot();
}

}  // namespace spool
