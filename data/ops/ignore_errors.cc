// Dataset::ignore_errors: drops the elements whose computation threw (any spool::Error
// or std::exception from the input), counting each in this stage's skipped_errors.
// spool::Cancelled is passed on: it means the pipeline is shutting down, not a bad
// element. As in tf.data, nothing guards against an input that throws forever: its
// next() then never returns. Cardinality is unknown (as tf.data).
#include <exception>

#include "spool/data/dataset.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

class IgnoreErrorsNode : public detail::UnaryNode {
 public:
  using UnaryNode::UnaryNode;
  std::string name() const override { return "ignore_errors"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<IgnoreErrorsNode>(in[0]);
  }
  std::int64_t cardinality() const override { return kUnknownCardinality; }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;
};

class IgnoreErrorsIterator : public detail::UnaryIterator {
 public:
  using UnaryIterator::UnaryIterator;

 private:
  std::optional<Element> get_next() override {
    for (;;) {
      try {
        return pull(input());
      } catch (const Cancelled&) {
        throw;
      } catch (const std::exception&) {
        add_skipped_error();
      }
    }
  }
};

std::unique_ptr<detail::IteratorBase> IgnoreErrorsNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<IgnoreErrorsIterator>(*this, context);
}

}  // namespace

Dataset Dataset::ignore_errors() const { return derive(std::make_shared<IgnoreErrorsNode>(node_)); }

}  // namespace spool::data
