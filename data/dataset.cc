#include "spool/data/dataset.h"

#include "spool/tensor/error.h"

namespace spool::data {

Dataset::Dataset(detail::NodePtr node, Options options) : node_(std::move(node)), options_(options) {
  SPOOL_CHECK(node_ != nullptr, InvalidArgument, "Dataset: null stage");
}

Dataset Dataset::with_options(Options options) const { return Dataset(node_, options); }

Iterator Dataset::make_iterator() const { return Iterator(node_, options_, nullptr); }

Iterator Dataset::make_iterator(const IteratorState& state) const { return Iterator(node_, options_, &state); }

Iterator Dataset::make_iterator_at(std::uint64_t iteration) const {
  return Iterator(node_, options_, nullptr, iteration);
}

ElementCursor Dataset::begin() const { return ElementCursor(std::make_shared<Iterator>(make_iterator())); }

std::int64_t Dataset::cardinality() const { return node_->cardinality(); }

}  // namespace spool::data
