#include "spool/autodiff/graph/function.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <sstream>

#include "spool/autodiff/graph/detail/tracer.h"
#include "spool/autodiff/graph/plan.h"
#include "spool/autodiff/record.h"
#include "spool/tensor/error.h"
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

// How many of the latest calls that must all have traced before the warning (TF's).
constexpr std::size_t kRetraceWindow = 5;

}  // namespace

struct Function::State {
  Body body;
  FunctionOptions options;
  struct Kept {
    Signature signature;
    std::unique_ptr<Plan> plan;
    std::int64_t calls = 1;
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

  const Plan* most_called() const;

  std::vector<Tensor> trace(std::span<const Tensor> args, const Signature& s) {
    std::vector<Tensor> inputs;
    for (const Tensor& a : args) {
      Tensor in(spool::detail::allocate_unhooked(static_cast<std::size_t>(a.numel()) * a.element_size()), a.dtype(),
                a.shape());
      copy_into(in, a);
      inputs.push_back(in);
    }
    std::unique_ptr<Plan> plan = graph::detail::trace_plan(options.name(), inputs, body);
    ++traces;
    std::vector<Tensor> results;  // the arena kept what the trace computed for them
    for (const Tensor& t : plan->outputs) results.push_back(t.defined() ? t.clone() : Tensor());
    plans.push_front(Kept{s, std::move(plan)});
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
  ++st.plans.front().calls;
  Plan& plan = *st.plans.front().plan;
  for (std::size_t i = 0; i < args.size(); ++i) copy_into(plan.inputs[i], args[i]);
  plan.replay();
  st.note_call(false, s);
  std::vector<Tensor> results;
  results.reserve(plan.outputs.size());
  for (const Tensor& t : plan.outputs) results.push_back(t.defined() ? t.clone() : Tensor());
  return results;
}

std::int64_t Function::retraces() const { return state_->traces; }
std::size_t Function::plans() const { return state_->plans.size(); }

const Plan* Function::State::most_called() const {
  const Kept* best = nullptr;
  for (const Kept& k : plans)  // most recent first: a tie goes to the most recent
    if (best == nullptr || k.calls > best->calls) best = &k;
  return best == nullptr ? nullptr : best->plan.get();
}

std::string Function::graph() const {
  const Plan* plan = state_->most_called();
  return plan == nullptr ? std::string() : plan->describe();
}

std::string Function::dot() const {
  const Plan* plan = state_->most_called();
  return plan == nullptr ? std::string() : plan->dot();
}

}  // namespace spool
