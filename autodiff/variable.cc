#include "spool/autodiff/variable.h"

#include <cstring>

#include "spool/autodiff/detail/tape_impl.h"
#include "spool/autodiff/graph/trace.h"
#include "spool/tensor/kernels/elementwise.h"

namespace spool::autodiff {
namespace {

constexpr std::int64_t kAlignBytes = 64;

void check_float(DType dtype, const std::string& name) {
  SPOOL_CHECK(dtype == DType::kF32 || dtype == DType::kF64, InvalidArgument, "Variable ", quoted(name),
              ": only f32/f64 variables are trainable, got ", dtype_name(dtype));
}

}  // namespace

Variable::Variable(std::string name, const Tensor& initial, bool trainable) {
  SPOOL_CHECK(initial.defined(), InvalidArgument, "Variable ", quoted(name), ": undefined initial value");
  check_float(initial.dtype(), name);
  state_ = std::make_shared<State>(State{std::move(name), initial.clone(), trainable});
}

const Variable::State& Variable::state() const {
  SPOOL_CHECK(state_ != nullptr, InvalidArgument, "Variable: used before it was given a value");
  return *state_;
}

const std::string& Variable::name() const { return state().name; }
bool Variable::trainable() const { return state().trainable; }
void Variable::trainable(bool trainable) {
  state();  // throws for an undefined variable
  state_->trainable = trainable;
}
const Tensor& Variable::unwatched_value() const { return state().value; }

const Tensor& Variable::value() const {
  const State& s = state();
  if (s.trainable) detail::variable_read(s.value);
  return s.value;
}

void Variable::assign(const Tensor& values) {
  const State& s = state();
  SPOOL_CHECK(values.defined() && values.dtype() == s.value.dtype(), InvalidArgument, "Variable ", quoted(s.name),
              ".assign: needs ", dtype_name(s.value.dtype()), ", got ",
              values.defined() ? std::string(dtype_name(values.dtype())) : "an undefined tensor");
  // broadcast_to throws, naming both shapes, when the values do not fit.
  const Tensor src = values.broadcast_to(s.value.shape());
  // A node of a traced function (graph/trace.h): the copy runs again at each replay.
  graph::record_node(
      "assign",
      [value = s.value, src] {
        const Tensor c = src.contiguous();
        std::memcpy(value.raw_data(), c.raw_data(), static_cast<std::size_t>(c.numel()) * c.element_size());
      },
      {s.value, values});
}

void Variable::assign_add(const Tensor& delta) {
  graph::record_node(
      "assign_add", [target = state().value, delta]() mutable { kernels::add_(target, delta); }, {state().value, delta});
}

void Variable::assign_sub(const Tensor& delta) {
  graph::record_node(
      "assign_sub", [target = state().value, delta]() mutable { kernels::sub_(target, delta); }, {state().value, delta});
}

VariableArena::VariableArena(DType dtype) : dtype_(dtype) { check_float(dtype, "arena"); }

Variable VariableArena::add(std::string name, const Tensor& initial, bool trainable) {
  SPOOL_CHECK(initial.defined() && initial.dtype() == dtype_, InvalidArgument, "VariableArena.add ", quoted(name),
              ": the arena holds ", dtype_name(dtype_), ", the initial value is ",
              initial.defined() ? std::string(dtype_name(initial.dtype())) : "undefined");
  const std::int64_t align = kAlignBytes / static_cast<std::int64_t>(dtype_size(dtype_));
  const std::int64_t offset = (size_ + align - 1) / align * align;
  const std::int64_t end = offset + initial.numel();
  if (end > capacity_) grow(end);
  size_ = end;
  Tensor value(storage_, dtype_, initial.shape(), offset);
  if (initial.numel() > 0) {
    const Tensor src = initial.contiguous();
    std::memcpy(value.raw_data(), src.raw_data(), static_cast<std::size_t>(src.numel()) * src.element_size());
  }
  Variable v(std::make_shared<Variable::State>(Variable::State{std::move(name), value, trainable}));
  variables_.push_back(v);
  offsets_.push_back(offset);
  return v;
}

void VariableArena::grow(std::int64_t needed) {
  const std::int64_t capacity = std::max<std::int64_t>({needed, 2 * capacity_, 1024});
  const std::size_t bytes = static_cast<std::size_t>(capacity) * dtype_size(dtype_);
  std::shared_ptr<Storage> storage = Storage::allocate(bytes);
  std::memset(storage->data(), 0, bytes);
  if (storage_) std::memcpy(storage->data(), storage_->data(), static_cast<std::size_t>(size_) * dtype_size(dtype_));
  storage_ = std::move(storage);
  capacity_ = capacity;
  for (std::size_t i = 0; i < variables_.size(); ++i) {
    Variable::State& s = *variables_[i].state_;
    s.value = Tensor(storage_, dtype_, s.value.shape(), offsets_[i]);
  }
}

std::vector<Variable> VariableArena::trainable_variables() const {
  std::vector<Variable> out;
  for (const Variable& v : variables_)
    if (v.trainable()) out.push_back(v);
  return out;
}

std::int64_t VariableArena::offset(std::size_t i) const {
  SPOOL_CHECK(i < offsets_.size(), OutOfRange, "VariableArena: variable ", i, " out of range [0, ", offsets_.size(),
              ")");
  return offsets_[i];
}

Tensor VariableArena::flat() const {
  if (!storage_) return Tensor::zeros(Shape{0}, dtype_);
  return Tensor(storage_, dtype_, Shape{size_}, 0);
}

Tensor VariableArena::slice_of(const Tensor& buffer, std::size_t i) const {
  SPOOL_CHECK(buffer.defined() && buffer.rank() == 1 && buffer.dim(0) == size_ && buffer.is_contiguous(),
              InvalidArgument, "VariableArena.slice_of: needs a contiguous 1-D buffer of ", size_, " elements, got ",
              buffer.defined() ? buffer.shape().to_string() : "undefined");
  const std::int64_t start = offset(i);
  const Shape& shape = variables_[i].shape();
  return buffer.narrow(0, start, shape.numel()).reshape(shape.dims());
}

}  // namespace spool::autodiff
