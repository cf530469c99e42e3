// Dataset::from_generator: elements from a C++ callable; the factory is called once
// per pass. Restoring calls the factory anew and skips the elements already produced.
#include "spool/data/dataset.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

class GeneratorNode : public detail::DatasetNode {
 public:
  GeneratorNode(GeneratorFactory factory, std::int64_t cardinality)
      : factory_(std::move(factory)), cardinality_(cardinality) {}
  std::string name() const override { return "generator"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr>) const override {
    return std::make_shared<GeneratorNode>(factory_, cardinality_);
  }
  std::int64_t cardinality() const override { return cardinality_; }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  const GeneratorFactory factory_;
  const std::int64_t cardinality_;
};

class GeneratorIterator : public detail::IteratorBase {
 public:
  GeneratorIterator(const GeneratorNode& node, const detail::IteratorContext& context)
      : IteratorBase(node, context), node_(node) {}

 private:
  std::optional<Element> get_next() override {
    if (!generator_) generator_ = node_.factory_();
    SPOOL_CHECK(generator_, InvalidArgument, "generator: the factory returned an empty function");
    if (ended_) return std::nullopt;
    std::optional<Element> e = generator_();
    if (!e) {
      ended_ = true;
      return std::nullopt;
    }
    ++produced_;
    return e;
  }
  void save(StateWriter& writer) override {
    writer.write_i64(produced_);
    writer.write_bool(ended_);
  }
  void restore(StateReader& reader) override {
    const std::int64_t target = reader.read_i64();
    const bool ended = reader.read_bool();
    generator_ = node_.factory_();
    produced_ = 0;
    ended_ = false;
    while (produced_ < target) {
      SPOOL_CHECK(generator_() != std::nullopt, InvalidArgument, "generator: resuming at element #", target,
                  " but the generator ended after ", produced_, " elements");
      ++produced_;
    }
    ended_ = ended;
  }

  const GeneratorNode& node_;
  std::function<std::optional<Element>()> generator_;
  std::int64_t produced_ = 0;
  bool ended_ = false;
};

std::unique_ptr<detail::IteratorBase> GeneratorNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<GeneratorIterator>(*this, context);
}

}  // namespace

Dataset Dataset::from_generator(GeneratorFactory factory, std::int64_t cardinality) {
  SPOOL_CHECK(factory != nullptr, InvalidArgument, "from_generator: the factory is empty");
  return Dataset(std::make_shared<GeneratorNode>(std::move(factory), cardinality));
}

}  // namespace spool::data
