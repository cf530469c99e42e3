#include "spool/data/iterator.h"

#include "spool/data/detail/dataset_node.h"
#include "spool/data/detail/iteration_counter.h"
#include "spool/data/detail/rewrite_plan.h"

namespace spool::data {

ElementCursor::ElementCursor(std::shared_ptr<Iterator> iterator) : iterator_(std::move(iterator)) {
  current_ = iterator_->next();
  if (!current_) iterator_.reset();
}

ElementCursor& ElementCursor::operator++() {
  current_ = iterator_->next();
  if (!current_) iterator_.reset();
  return *this;
}

Iterator::Iterator(std::shared_ptr<const detail::DatasetNode> root, const Options& options,
                   const IteratorState* state, std::optional<std::uint64_t> pinned_iteration)
    : root_(std::move(root)),
      pipeline_(std::make_shared<detail::PipelineContext>(
          options, std::make_shared<const detail::RewritePlan>(root_, options.optimizations()), pinned_iteration)),
      cancel_(detail::CancellationToken::make()) {
  // The iterations first, for all stages of the graph at once: a stage below a repeat
  // is made only when a pass reaches it. A restored iterator takes the saved ones.
  std::optional<StateReader> reader;
  if (state) {
    reader.emplace(*state);
    detail::restore_iterations(*pipeline_, *reader);
  } else {
    detail::take_iterations(*pipeline_);
  }
  detail::IteratorContext context{pipeline_, cancel_, 0};
  impl_ = pipeline_->plan().root()->make_iterator(context);
  if (reader) {
    impl_->restore_state(*reader);
    reader->finish();
  }
}

Iterator::Iterator(Iterator&&) noexcept = default;

Iterator& Iterator::operator=(Iterator&& other) noexcept {
  if (this != &other) {
    if (cancel_) cancel_->cancel();
    impl_.reset();
    root_ = std::move(other.root_);
    pipeline_ = std::move(other.pipeline_);
    cancel_ = std::move(other.cancel_);
    impl_ = std::move(other.impl_);
  }
  return *this;
}

Iterator::~Iterator() {
  // Wake every wait in the pipeline first, so each stage's join returns promptly.
  if (cancel_) cancel_->cancel();
  impl_.reset();
}

std::optional<Element> Iterator::next() { return impl_->next(); }

IteratorState Iterator::save() {
  StateWriter writer;
  detail::save_iterations(*pipeline_, writer);
  impl_->save_state(writer);
  return std::move(writer).finish();
}

PipelineStats Iterator::stats() const {
  PipelineStats stats;
  stats.stages = pipeline_->stats().snapshot();
  stats.buffered_bytes = pipeline_->budget().used();
  stats.peak_buffered_bytes = pipeline_->budget().peak();
  return stats;
}

ElementCursor Iterator::begin() {
  // The cursor shares ownership of nothing: it borrows this iterator.
  return ElementCursor(std::shared_ptr<Iterator>(std::shared_ptr<Iterator>(), this));
}

}  // namespace spool::data
