// Dataset::cache: keeps the first complete pass of the input and replays it.
//
//   auto cached = ds.map(decode).cache();
//   for (int epoch = 0; epoch < 3; ++epoch)
//     for (Element& e : cached) train(e);   // decodes in the first epoch only
//
// In memory (no filename) the cache is shared by every iterator of the stage, as
// tf.data's is by the iterations of its dataset: a MemoryCache object the node owns
// (the node is otherwise immutable; the cache is thread-safe, under its own mutex).
// The first pass over this stage records its elements, and once that pass completes,
// every later pass (a repeat above, as tf.data's cache().repeat(), or a later iterator
// of the Dataset or of one built on it) replays them without reading the input. A pass
// that starts while another is still recording (two iterators alive at once) reads the
// input itself. A recording pass that ends early (destroyed before its end: a take
// above, a loop left early) drops what it recorded, so no later pass takes a half cache
// for the whole (tf.data discards it too). The cache lives as long as the stage, that
// is as long as a Dataset or an iterator uses it (a cache inside an interleave's
// function keeps one per dataset opened).
// - Errors are not recorded: a replay yields the elements only.
// - The recorded elements alias the tensors handed downstream (tensor.h): a later
//   stage must not write into them in place.
// - Bytes: the recorded elements count against the byte budget of the recording
//   iterator without waiting (other buffers shrink to make room), and a complete cache
//   counts once against the budget of each iterator that recorded or replays it, for
//   that iterator's life. A cache larger than the budget itself
//   (Options::max_buffered_bytes, unless 0) is an InvalidArgument, thrown in place of
//   the element that would pass it; that pass then continues uncached, and the next
//   one tries again.
// - State: a recording pass saves what it recorded so far and the input's state; a
//   replaying pass saves its position and the whole cache (as tf.data), so the state
//   is as large as the cache, and restoring it into a stage without a cache (a new
//   process) brings the cache back for later passes too.
// With a filename, see cache_file.h.
#include <mutex>

#include "spool/data/dataset.h"
#include "spool/data/ops/cache_file.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

// The in-memory cache of one CacheNode, shared by all its iterators.
struct MemoryCache {
  std::mutex mu;
  bool filling = false;  // guarded by mu: a pass is recording
  std::shared_ptr<const std::vector<Element>> elements;  // guarded by mu: set once complete
  std::int64_t bytes = 0;                                // guarded by mu
};

// A complete cache's bytes, counted once in the budget of one pipeline that holds it.
class CacheCharge {
 public:
  explicit CacheCharge(detail::MemoryBudget& budget) : budget_(budget) {}
  CacheCharge(const CacheCharge&) = delete;
  CacheCharge& operator=(const CacheCharge&) = delete;
  ~CacheCharge() { budget_.release(bytes_); }
  // Counts `bytes` unless counted already. `acquired` says the caller took them from
  // the budget already (a pass that recorded them); they are released when not kept.
  void hold(std::int64_t bytes, bool acquired) {
    std::lock_guard lock(mu_);
    if (held_) {
      if (acquired) budget_.release(bytes);
      return;
    }
    if (!acquired) budget_.try_acquire(bytes, /*holds_nothing=*/true);
    bytes_ = bytes;
    held_ = true;
  }

 private:
  detail::MemoryBudget& budget_;
  std::mutex mu_;
  bool held_ = false;       // guarded by mu_
  std::int64_t bytes_ = 0;  // guarded by mu_
};

class CacheNode : public detail::UnaryNode {
 public:
  CacheNode(detail::NodePtr input, std::string filename) : UnaryNode(std::move(input)), filename_(std::move(filename)) {}
  std::string name() const override { return "cache"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<CacheNode>(in[0], filename_);
  }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  const std::string filename_;
  // The one piece of state the node's iterators share (in memory only).
  const std::unique_ptr<MemoryCache> cache_ = std::make_unique<MemoryCache>();
  const std::uint64_t charge_key_ = detail::PipelineContext::new_shared_state_key();  // of the CacheCharge
};

class MemoryCacheIterator : public detail::IteratorBase {
 public:
  MemoryCacheIterator(const CacheNode& node, const detail::IteratorContext& context)
      : IteratorBase(node, context),
        node_(node),
        cache_(*node.cache_),
        charge_(std::static_pointer_cast<CacheCharge>(context.pipeline->shared_state(
            node.charge_key_, [&context] { return std::make_shared<CacheCharge>(context.pipeline->budget()); }))) {}
  ~MemoryCacheIterator() override {
    if (mode_ == Mode::kRecord) stop_recording();
  }

 private:
  enum class Mode : std::int64_t { kUndecided, kRecord, kReplay, kPassThrough, kEnded };

  std::optional<Element> get_next() override {
    if (mode_ == Mode::kUndecided) decide();
    switch (mode_) {
      case Mode::kReplay:
        if (position_ < replay_->size()) return (*replay_)[position_++];
        return std::nullopt;
      case Mode::kPassThrough:
        return pull(input());
      case Mode::kRecord:
        return record();
      default:
        return std::nullopt;
    }
  }

  void decide() {
    std::lock_guard lock(cache_.mu);
    if (cache_.elements) {
      replay_ = cache_.elements;
      charge_->hold(cache_.bytes, /*acquired=*/false);
      mode_ = Mode::kReplay;
    } else if (!cache_.filling) {
      cache_.filling = true;
      mode_ = Mode::kRecord;
    } else {
      mode_ = Mode::kPassThrough;
    }
  }

  std::optional<Element> record() {
    std::optional<Element> e = pull(input());
    if (!e) {
      std::lock_guard lock(cache_.mu);
      cache_.elements = std::make_shared<const std::vector<Element>>(std::move(recorded_));
      cache_.bytes = recorded_bytes_;
      cache_.filling = false;
      charge_->hold(recorded_bytes_, /*acquired=*/true);
      recorded_bytes_ = 0;
      mode_ = Mode::kEnded;
      return std::nullopt;
    }
    const std::int64_t bytes = e->byte_size();
    const std::int64_t limit = budget().limit();
    if (limit > 0 && recorded_bytes_ + bytes > limit) {
      const std::size_t count = recorded_.size();
      const std::int64_t total = recorded_bytes_ + bytes;
      stop_recording();
      mode_ = Mode::kPassThrough;
      SPOOL_THROW(InvalidArgument, stage_name(), ": element #", count, " (", bytes, " bytes) would take the cache to ",
                  total, " bytes, over the byte budget of ", limit,
                  " (Options::max_buffered_bytes); raise the budget, or cache to a file");
    }
    budget().try_acquire(bytes, /*holds_nothing=*/true);
    recorded_bytes_ += bytes;
    recorded_.push_back(*e);
    return e;
  }

  void stop_recording() {
    budget().release(recorded_bytes_);
    recorded_bytes_ = 0;
    recorded_.clear();
    std::lock_guard lock(cache_.mu);
    cache_.filling = false;
  }

  void save(StateWriter& writer) override {
    writer.write_i64(static_cast<std::int64_t>(mode_));
    if (mode_ == Mode::kReplay) {
      writer.write_i64(static_cast<std::int64_t>(position_));
      write_elements(writer, *replay_);
    } else if (mode_ == Mode::kRecord) {
      write_elements(writer, recorded_);
    }
    if (mode_ == Mode::kRecord || mode_ == Mode::kPassThrough) input().save_state(writer);
  }

  void restore(StateReader& reader) override {
    if (mode_ == Mode::kRecord) stop_recording();
    const std::int64_t mode = reader.read_i64();
    SPOOL_CHECK(mode >= 0 && mode <= static_cast<std::int64_t>(Mode::kEnded), DataLossError, stage_name(),
                ": bad saved mode ", mode);
    mode_ = static_cast<Mode>(mode);
    if (mode_ == Mode::kReplay) {
      position_ = static_cast<std::size_t>(reader.read_i64());
      std::vector<Element> elements = read_elements(reader);
      SPOOL_CHECK(position_ <= elements.size(), DataLossError, stage_name(), ": saved position ", position_,
                  " past the ", elements.size(), " cached elements");
      std::lock_guard lock(cache_.mu);
      if (!cache_.elements) {  // a stage without a cache (a new process): the state brings it back
        cache_.bytes = total_bytes(elements);
        cache_.elements = std::make_shared<const std::vector<Element>>(std::move(elements));
      }
      replay_ = cache_.elements;
      charge_->hold(cache_.bytes, /*acquired=*/false);
    } else if (mode_ == Mode::kRecord) {
      recorded_ = read_elements(reader);
      recorded_bytes_ = total_bytes(recorded_);
      std::lock_guard lock(cache_.mu);
      if (cache_.elements || cache_.filling) {  // complete, or another pass records
        recorded_.clear();
        recorded_bytes_ = 0;
        mode_ = Mode::kPassThrough;
      } else {
        cache_.filling = true;
        budget().try_acquire(recorded_bytes_, /*holds_nothing=*/true);
      }
    }
    if (mode_ == Mode::kRecord || mode_ == Mode::kPassThrough) input().restore_state(reader);
  }

  static void write_elements(StateWriter& writer, const std::vector<Element>& elements) {
    writer.write_i64(static_cast<std::int64_t>(elements.size()));
    for (const Element& e : elements) writer.write_element(e);
  }
  std::vector<Element> read_elements(StateReader& reader) const {
    const std::int64_t n = reader.read_i64();
    SPOOL_CHECK(n >= 0, DataLossError, stage_name(), ": saved ", n, " cached elements");
    std::vector<Element> elements;
    for (std::int64_t i = 0; i < n; ++i) elements.push_back(reader.read_element());
    return elements;
  }
  static std::int64_t total_bytes(const std::vector<Element>& elements) {
    std::int64_t bytes = 0;
    for (const Element& e : elements) bytes += e.byte_size();
    return bytes;
  }

  // The input, made when a pass first needs it (a replay never does).
  detail::IteratorBase& input() {
    if (!input_) input_ = detail::make_input_iterator(*node_.input(), context());
    return *input_;
  }

  const CacheNode& node_;
  MemoryCache& cache_;                  // the node's
  std::shared_ptr<CacheCharge> charge_;  // this pipeline's
  std::unique_ptr<detail::IteratorBase> input_;
  Mode mode_ = Mode::kUndecided;
  std::shared_ptr<const std::vector<Element>> replay_;  // kReplay
  std::size_t position_ = 0;                            // kReplay
  std::vector<Element> recorded_;                       // kRecord
  std::int64_t recorded_bytes_ = 0;                     // kRecord
};

std::unique_ptr<detail::IteratorBase> CacheNode::make_iterator(const detail::IteratorContext& context) const {
  if (filename_.empty()) return std::make_unique<MemoryCacheIterator>(*this, context);
  return detail::make_file_cache_iterator(*this, input(), filename_, context);
}

}  // namespace

Dataset Dataset::cache(std::string filename) const {
  return derive(std::make_shared<CacheNode>(node_, std::move(filename)));
}

}  // namespace spool::data
