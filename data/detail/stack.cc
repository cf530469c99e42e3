#include "spool/data/detail/stack.h"

#include <cstring>

#include "spool/tensor/error.h"

namespace spool::data::detail {
namespace {

std::string describe(const Tensor& t) {
  return t.defined() ? std::string(dtype_name(t.dtype())) + t.shape().to_string() : "undefined";
}

// Copies `part` (any layout) into `out` at byte offset `at`; returns the bytes written.
std::size_t copy_into(const Tensor& part, std::uint8_t* out) {
  const Tensor c = part.contiguous();
  const std::size_t n = static_cast<std::size_t>(c.numel()) * c.element_size();
  if (n) std::memcpy(out, c.raw_data(), n);
  return n;
}

}  // namespace

Element stack_elements(const std::vector<Element>& elements, std::string_view stage) {
  SPOOL_CHECK(!elements.empty(), InternalError, stage, ": stacking no elements");
  const Element& first = elements[0];
  std::vector<Tensor> out;
  out.reserve(first.size());
  for (std::size_t k = 0; k < first.size(); ++k) {
    const Tensor& head = first[k];
    SPOOL_CHECK(head.defined(), InvalidArgument, stage, ": component ", k, " of element #0 is undefined");
    for (std::size_t i = 1; i < elements.size(); ++i) {
      SPOOL_CHECK(elements[i].size() == first.size(), InvalidArgument, stage, ": element #", i, " in the batch has ",
                  elements[i].size(), " components (", describe_structure(elements[i]), ") but element #0 has ",
                  first.size(), " (", describe_structure(first), ")");
      const Tensor& t = elements[i][k];
      SPOOL_CHECK(t.defined() && t.dtype() == head.dtype() && t.shape() == head.shape(), InvalidArgument, stage,
                  ": component ", k, " of element #", i, " in the batch is ", describe(t), " but element #0 has ",
                  describe(head), " (use padded_batch for differing shapes)");
    }
    std::vector<std::int64_t> dims{static_cast<std::int64_t>(elements.size())};
    for (std::int64_t d : head.shape().dims()) dims.push_back(d);
    Tensor stacked = Tensor::empty(Shape(dims), head.dtype());
    auto* dst = static_cast<std::uint8_t*>(stacked.raw_data());
    for (const Element& e : elements) dst += copy_into(e[k], dst);
    out.push_back(std::move(stacked));
  }
  return Element(std::move(out), first.shared_names());
}

std::int64_t batch_rows(const Element& batch, std::string_view stage) {
  SPOOL_CHECK(!batch.empty(), InvalidArgument, stage, ": the element has no components");
  std::int64_t rows = -1;
  for (std::size_t k = 0; k < batch.size(); ++k) {
    const Tensor& t = batch[k];
    SPOOL_CHECK(t.defined() && t.rank() >= 1, InvalidArgument, stage, ": component ", k,
                " must have rank >= 1 to be split along axis 0, got ", describe_structure(batch));
    if (rows < 0) rows = t.dim(0);
    SPOOL_CHECK(t.dim(0) == rows, InvalidArgument, stage, ": components differ along axis 0: ",
                describe_structure(batch));
  }
  return rows;
}

Element slice_rows(const Element& batch, std::int64_t begin, std::int64_t end) {
  std::vector<Tensor> out;
  out.reserve(batch.size());
  for (const Tensor& t : batch) out.push_back(t.narrow(0, begin, end - begin));
  return Element(std::move(out), batch.shared_names());
}

Element concat_rows(const std::vector<Element>& batches, std::string_view stage) {
  SPOOL_CHECK(!batches.empty(), InternalError, stage, ": concatenating no batches");
  if (batches.size() == 1) return batches[0];
  const Element& first = batches[0];
  std::vector<Tensor> out;
  for (std::size_t k = 0; k < first.size(); ++k) {
    const Tensor& head = first[k];
    std::int64_t rows = 0;
    for (std::size_t i = 0; i < batches.size(); ++i) {
      const Tensor& t = batches[i][k];
      SPOOL_CHECK(batches[i].size() == first.size() && t.dtype() == head.dtype() && t.rank() == head.rank() &&
                      std::equal(t.shape().dims().begin() + 1, t.shape().dims().end(), head.shape().dims().begin() + 1),
                  InvalidArgument, stage, ": component ", k, " of batch #", i, " is ", describe(t),
                  " but batch #0 has ", describe(head));
      rows += t.dim(0);
    }
    std::vector<std::int64_t> dims = head.shape().dims();
    dims[0] = rows;
    Tensor joined = Tensor::empty(Shape(dims), head.dtype());
    auto* dst = static_cast<std::uint8_t*>(joined.raw_data());
    for (const Element& b : batches) dst += copy_into(b[k], dst);
    out.push_back(std::move(joined));
  }
  return Element(std::move(out), first.shared_names());
}

}  // namespace spool::data::detail
