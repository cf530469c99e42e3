// list_files, glob_files and file_names: one stage, "file_names", that yields a list of
// paths in order or in a (seed, iteration, epoch) permutation (seeded_order.h).
#include "spool/data/sources/list_files.h"

#include <glob.h>

#include <algorithm>
#include <memory>

#include "spool/data/sources/seeded_order.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

class FileNamesNode : public detail::DatasetNode {
 public:
  FileNamesNode(std::vector<std::string> files, bool shuffle, std::optional<std::uint64_t> seed)
      : files_(std::move(files)), shuffle_(shuffle), seed_(seed) {}
  std::string name() const override { return "file_names"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr>) const override {
    return std::make_shared<FileNamesNode>(files_, shuffle_, seed_);
  }
  std::int64_t cardinality() const override { return static_cast<std::int64_t>(files_.size()); }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;
  detail::IterationCounter* iteration_counter() const override { return shuffle_ ? iterations_.get() : nullptr; }
  std::optional<detail::FileList> file_list() const override { return detail::FileList{files_, shuffle_, seed_}; }

  const std::vector<std::string> files_;
  const bool shuffle_;
  const std::optional<std::uint64_t> seed_;
  // The iterators made of this stage, for a new order per iterator (seeded_order.h).
  const std::unique_ptr<detail::IterationCounter> iterations_ = std::make_unique<detail::IterationCounter>();
};

class FileNamesIterator : public detail::IteratorBase {
 public:
  FileNamesIterator(const FileNamesNode& node, const detail::IteratorContext& context)
      : IteratorBase(node, context),
        node_(node),
        order_(node.files_.size(), node.shuffle_, node.seed_, *node.iterations_, context, context.epoch) {}

 private:
  std::optional<Element> get_next() override {
    const std::optional<std::size_t> k = order_.next();
    if (!k) return std::nullopt;
    return Element(Tensor::from_bytes(node_.files_[*k]));
  }
  void save(StateWriter& writer) override { order_.save(writer); }
  void restore(StateReader& reader) override { order_.restore(reader, context(), "file_names"); }

  const FileNamesNode& node_;
  detail::ListOrder order_;
};

std::unique_ptr<detail::IteratorBase> FileNamesNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<FileNamesIterator>(*this, context);
}

}  // namespace

std::vector<std::string> glob_files(const std::string& pattern) {
  glob_t matches{};
  const int rc = ::glob(pattern.c_str(), GLOB_ERR | GLOB_NOSORT, nullptr, &matches);
  std::vector<std::string> files;
  if (rc == 0) files.assign(matches.gl_pathv, matches.gl_pathv + matches.gl_pathc);
  ::globfree(&matches);
  SPOOL_CHECK(rc != GLOB_NOMATCH, IoError, "list_files: no files match ", spool::quoted(pattern));
  SPOOL_CHECK(rc != GLOB_ABORTED, IoError, "list_files: cannot read a folder while matching ", spool::quoted(pattern));
  SPOOL_CHECK(rc == 0, IoError, "list_files: glob failed (code ", rc, ") for ", spool::quoted(pattern));
  std::sort(files.begin(), files.end());  // byte order, not the locale's
  return files;
}

Dataset list_files(const std::string& pattern, bool shuffle, std::optional<std::uint64_t> seed) {
  return Dataset(std::make_shared<FileNamesNode>(glob_files(pattern), shuffle, seed));
}

Dataset file_names(std::vector<std::string> files) {
  return Dataset(std::make_shared<FileNamesNode>(std::move(files), false, std::nullopt));
}

}  // namespace spool::data
