// Dataset::shard: elements index, index + num_shards, index + 2 num_shards, ... of the
// input, so num_shards shards of one dataset together hold each element once. The
// input is read in full (shard early, next to the source, to read less). An input
// error is passed on wherever it occurs, even at another shard's position, and takes
// that position.
#include "spool/data/dataset.h"
#include "spool/data/detail/counting_iterator.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

class ShardNode : public detail::UnaryNode {
 public:
  ShardNode(detail::NodePtr input, std::int64_t num_shards, std::int64_t index)
      : UnaryNode(std::move(input)), num_shards_(num_shards), index_(index) {}
  std::string name() const override { return "shard"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<ShardNode>(in[0], num_shards_, index_);
  }
  detail::NodePtr rewritten(const detail::Rewriting& rewriting) const override {
    return rewriting.optimizations().noop_elimination() && num_shards_ == 1 ? rewriting.input(0) : nullptr;
  }
  std::int64_t cardinality() const override {
    const std::int64_t n = input()->cardinality();
    if (n < 0) return n;
    return n / num_shards_ + (index_ < n % num_shards_ ? 1 : 0);
  }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;
  // A shard of a list of files in a fixed order is one too (its reader's cardinality
  // follows); of a shuffled list, the files change with every pass.
  std::optional<detail::FileList> file_list() const override {
    std::optional<detail::FileList> all = input()->file_list();
    if (!all || all->shuffle) return std::nullopt;
    detail::FileList mine;
    const auto step = static_cast<std::size_t>(num_shards_);
    for (auto i = static_cast<std::size_t>(index_); i < all->paths.size(); i += step) {
      mine.paths.push_back(std::move(all->paths[i]));
    }
    return mine;
  }

  const std::int64_t num_shards_;
  const std::int64_t index_;
};

class ShardIterator : public detail::CountingIterator {
 public:
  ShardIterator(const ShardNode& node, const detail::IteratorContext& context)
      : CountingIterator(node, context), node_(node) {}

 private:
  std::optional<Element> get_next() override {
    for (;;) {
      std::int64_t position = 0;
      std::optional<Element> e = pull_counted(position);
      if (!e) return std::nullopt;
      if (position % node_.num_shards_ == node_.index_) return e;
    }
  }

  const ShardNode& node_;
};

std::unique_ptr<detail::IteratorBase> ShardNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<ShardIterator>(*this, context);
}

}  // namespace

Dataset Dataset::shard(std::int64_t num_shards, std::int64_t index) const {
  SPOOL_CHECK(num_shards >= 1, InvalidArgument, "shard: num_shards must be >= 1, got ", num_shards);
  SPOOL_CHECK(index >= 0 && index < num_shards, InvalidArgument, "shard: index ", index, " out of range [0, ",
              num_shards, ")");
  return derive(std::make_shared<ShardNode>(node_, num_shards, index));
}

}  // namespace spool::data
