// The slice + batch fusion (optimizations.h): batch over from_tensor_slices, through a
// shuffle and a repeat when the pipeline has them, runs as one stage that copies each
// batch's rows straight from the source tensors into the batch. Its shuffle buffer
// holds row numbers, so no element is made per row: the per-row tensor views, the
// buffer's moves and the stacking were most of the cost of an in-memory epoch
// (bench_pipeline fashion_mnist).
//
// It yields what the written stages would. Per pass of the repeat (its epoch as
// repeat.cc numbers it), the buffer fills in row order up to buffer_size; draw k
// (shuffle_draw, as the shuffle makes it) picks slot draw % size, whose row is the
// next one out, and the last slot fills the hole. Each buffered row is charged to the
// byte budget as the shuffle charges an element, so a full budget shrinks the buffer
// at the same point. A batch runs on across passes, as a batch after a repeat does.
#include <algorithm>
#include <cstring>

#include "spool/data/dataset.h"
#include "spool/data/detail/stack.h"
#include "spool/data/ops/batch_fusion.h"
#include "spool/data/ops/repeat_node.h"
#include "spool/data/ops/shuffle_node.h"
#include "spool/data/sources/tensor_slices_node.h"
#include "spool/tensor/error.h"

namespace spool::data::detail {
namespace {

class SliceBatchNode : public DatasetNode {
 public:
  // `shuffle` may be null; `passes` is the repeat's count (-1: forever), or 1 without one.
  SliceBatchNode(std::shared_ptr<const TensorSlicesNode> slices, std::shared_ptr<const ShuffleNode> shuffle,
                 bool repeated, std::int64_t passes, std::int64_t batch_size, bool drop_remainder)
      : slices_(std::move(slices)),
        shuffle_(std::move(shuffle)),
        repeated_(repeated),
        passes_(passes),
        batch_size_(batch_size),
        drop_remainder_(drop_remainder),
        rows_(slices_->cardinality()) {
    for (const Tensor& t : slices_->components()) {
      sources_.push_back({static_cast<const std::uint8_t*>(t.raw_data()),
                          static_cast<std::size_t>(t.numel() / rows_) * t.element_size()});
      element_bytes_ += static_cast<std::int64_t>(sources_.back().row_bytes);
    }
  }
  std::string name() const override {
    return std::string("tensor_slices") + (shuffle_ ? "+shuffle" : "") + (repeated_ ? "+repeat" : "") + "+batch";
  }
  NodePtr with_inputs(std::vector<NodePtr>) const override {
    return std::make_shared<SliceBatchNode>(slices_, shuffle_, repeated_, passes_, batch_size_, drop_remainder_);
  }
  std::int64_t cardinality() const override {
    if (passes_ < 0) return kInfiniteCardinality;
    return batched_cardinality(rows() * passes_, batch_size_, drop_remainder_);
  }
  // The shuffle's: this stage takes the iteration the shuffle would have taken.
  IterationCounter* iteration_counter() const override { return shuffle_ ? shuffle_->iteration_counter() : nullptr; }
  std::unique_ptr<IteratorBase> make_iterator(const IteratorContext& context) const override;

  std::int64_t rows() const { return rows_; }

  const std::shared_ptr<const TensorSlicesNode> slices_;
  const std::shared_ptr<const ShuffleNode> shuffle_;
  const bool repeated_;
  const std::int64_t passes_;
  const std::int64_t batch_size_;
  const bool drop_remainder_;
  const std::int64_t rows_;
  // Per component: where its rows start (the source tensors are immutable) and a row's size.
  struct Source {
    const std::uint8_t* rows;
    std::size_t row_bytes;
  };
  std::vector<Source> sources_;
  std::int64_t element_bytes_ = 0;  // what one row's element would count in the budget
};

class SliceBatchIterator : public IteratorBase {
 public:
  SliceBatchIterator(const SliceBatchNode& node, const IteratorContext& context)
      : IteratorBase(node, context),
        node_(node),
        seed_(node.shuffle_ ? node.shuffle_->seed() : 0),
        iteration_(node.iteration_counter() ? node.iteration_counter()->take(*context.pipeline) : 0),
        order_seed_(node.shuffle_ ? shuffle_order_seed(*node.shuffle_, seed_, iteration_) : 0) {}
  ~SliceBatchIterator() override { budget().release(charged_bytes_); }

 private:
  std::optional<Element> get_next() override {
    select(batch_rows_);
    settle_budget();
    std::optional<Element> out;
    if (!batch_rows_.empty() && (!node_.drop_remainder_ || batch_rows_.size() == batch_size())) {
      out = gather(batch_rows_);
    }
    // The slots of the next batch's draws load while the consumer works on this one.
    if (node_.shuffle_) draw_ahead(batch_size());
    return out;
  }

  std::size_t batch_size() const { return static_cast<std::size_t>(node_.batch_size_); }

  // The rows of the next batch (fewer at the end of the stream).
  void select(std::vector<std::int64_t>& rows) {
    rows.clear();
    while (rows.size() < batch_size()) {
      const std::optional<std::int64_t> row = next_row();
      if (!row) break;
      rows.push_back(*row);
    }
  }

  std::optional<std::int64_t> next_row() {
    for (;;) {
      if (node_.passes_ >= 0 && pass_ >= node_.passes_) return std::nullopt;
      if (std::optional<std::int64_t> row = next_row_of_pass()) return row;
      ++pass_;  // the pass yielded every row: the fusion needs at least one
      next_row_ = 0;
      draws_ = 0;
    }
  }

  std::optional<std::int64_t> next_row_of_pass() {
    if (!node_.shuffle_) {
      if (next_row_ == node_.rows()) return std::nullopt;
      return next_row_++;
    }
    fill();
    if (buffer_.empty()) return std::nullopt;
    const std::uint64_t r = draw(draws_++);
    const auto j = static_cast<std::size_t>(r % buffer_.size());
    const std::int64_t row = buffer_[j];
    buffer_[j] = buffer_.back();
    buffer_.pop_back();
    charge(-node_.element_bytes_);
    return row;
  }

  // The shuffle's fill, with a row number for each element.
  void fill() {
    const std::int64_t capacity = node_.shuffle_->options().buffer_size();
    while (next_row_ < node_.rows() && static_cast<std::int64_t>(buffer_.size()) < capacity) {
      if (!buffer_.empty() && !budget().has_room(buffer_bytes_ / static_cast<std::int64_t>(buffer_.size()))) break;
      charge(node_.element_bytes_);
      buffer_.push_back(next_row_++);
    }
  }

  // Buffered bytes change by `bytes`. Under a byte limit the budget sees each row as
  // the shuffle's elements, since how full it is decides how far the buffer grows.
  // Without one it only keeps the count, and is told once per batch: three atomic
  // operations per row cost more than the row's copy.
  void charge(std::int64_t bytes) {
    buffer_bytes_ += bytes;
    if (budget().limit() != 0) settle_budget();
  }
  void settle_budget() {
    const std::int64_t change = buffer_bytes_ - charged_bytes_;
    if (change > 0) budget().try_acquire(change, /*holds_nothing=*/true);
    if (change < 0) budget().release(-change);
    charged_bytes_ = buffer_bytes_;
  }

  // Draw k of this pass, computed early by draw_ahead() when it could.
  std::uint64_t draw(std::uint64_t k) const {
    if (k >= ahead_from_ && k - ahead_from_ < ahead_.size() && ahead_pass_ == pass_) return ahead_[k - ahead_from_];
    return shuffle_draw(order_seed_, stream(), k);
  }

  // The next n draws of this pass, and a prefetch of the buffer slot each will empty:
  // a slot is a random place in a buffer as large as the data set's row count, which
  // the rows' copies push out of the caches: a cache miss per row otherwise. The slots
  // are those of a buffer that fills as it does now; a wrong guess only wastes the
  // prefetch.
  void draw_ahead(std::size_t n) {
    ahead_.resize(n);
    ahead_from_ = draws_;
    ahead_pass_ = pass_;
    const std::int64_t capacity = node_.shuffle_->options().buffer_size();
    std::int64_t size = static_cast<std::int64_t>(buffer_.size());
    std::int64_t unread = node_.rows() - next_row_;
    const std::uint64_t stream_now = stream();
    for (std::size_t d = 0; d < n; ++d) {
      ahead_[d] = shuffle_draw(order_seed_, stream_now, draws_ + d);
      const std::int64_t filled = std::min(capacity - size, unread);
      size += filled;
      unread -= filled;
      if (size == 0) continue;
      const auto j = static_cast<std::size_t>(ahead_[d] % static_cast<std::uint64_t>(size));
      if (j < buffer_.size()) __builtin_prefetch(&buffer_[j], /*rw=*/1);
      --size;
    }
  }

  // The shuffle's stream in this pass: its epoch, or 0 when every pass has one order.
  std::uint64_t stream() const {
    if (!node_.shuffle_->options().reshuffle_each_iteration()) return 0;
    return node_.repeated_ ? repeat_pass_epoch(context().epoch, pass_) : context().epoch;
  }

  Element gather(const std::vector<std::int64_t>& rows) const {
    const Element& source = node_.slices_->components();
    std::vector<Tensor> out;
    out.reserve(source.size());
    for (std::size_t k = 0; k < source.size(); ++k) {
      std::vector<std::int64_t> dims = source[k].shape().dims();
      dims[0] = static_cast<std::int64_t>(rows.size());
      out.push_back(Tensor::empty(Shape(std::move(dims)), source[k].dtype()));
      auto* to = static_cast<std::uint8_t*>(out.back().raw_data());
      const SliceBatchNode::Source& from = node_.sources_[k];
      // Shuffled rows sit anywhere in the source: a row's lines are asked for a few rows
      // ahead of its copy, the first rows' all at once.
      for (std::size_t b = 0; b < std::min(kPrefetchRows, rows.size()); ++b) prefetch_row(from, rows[b]);
      for (std::size_t b = 0; b < rows.size(); ++b) {
        if (b + kPrefetchRows < rows.size()) prefetch_row(from, rows[b + kPrefetchRows]);
        copy_row(to + b * from.row_bytes, from.rows + static_cast<std::size_t>(rows[b]) * from.row_bytes,
                 from.row_bytes);
      }
    }
    return Element(std::move(out), source.shared_names());
  }

  static void prefetch_row(const SliceBatchNode::Source& from, std::int64_t row) {
    const std::uint8_t* at = from.rows + static_cast<std::size_t>(row) * from.row_bytes;
    for (std::size_t line = 0; line < from.row_bytes; line += 64) __builtin_prefetch(at + line);
  }

  // A label's 8 or 4 bytes as one move rather than a call to memcpy.
  static void copy_row(std::uint8_t* to, const std::uint8_t* from, std::size_t bytes) {
    switch (bytes) {
      case 8: std::memcpy(to, from, 8); break;
      case 4: std::memcpy(to, from, 4); break;
      default: if (bytes != 0) std::memcpy(to, from, bytes);
    }
  }

  void save(StateWriter& writer) override {
    writer.write_i64(pass_);
    writer.write_i64(next_row_);
    if (node_.shuffle_) {
      writer.write_u64(seed_);
      IterationCounter::save(writer, iteration_);
      writer.write_u64(draws_);
      writer.write_i64(static_cast<std::int64_t>(buffer_.size()));
      for (const std::int64_t row : buffer_) writer.write_i64(row);
    }
  }
  void restore(StateReader& reader) override {
    pass_ = reader.read_count("the pass");
    next_row_ = reader.read_count("the next row");
    SPOOL_CHECK(next_row_ <= node_.rows(), DataLossError, stage_name(), ": saved row ", next_row_, " is past the ",
                node_.rows(), " rows");
    buffer_.clear();
    buffer_bytes_ = 0;
    ahead_.clear();
    if (node_.shuffle_) {
      seed_ = reader.read_u64();
      iteration_ = node_.iteration_counter() ? node_.iteration_counter()->restore(reader, *context().pipeline)
                                             : reader.read_u64();
      order_seed_ = shuffle_order_seed(*node_.shuffle_, seed_, iteration_);
      draws_ = reader.read_u64();
      const std::int64_t n = reader.read_count("the buffered rows");
      SPOOL_CHECK(n <= node_.shuffle_->options().buffer_size() && n <= next_row_, DataLossError, stage_name(),
                  ": saved buffer of ", n, " rows exceeds buffer_size ", node_.shuffle_->options().buffer_size(),
                  " or the ", next_row_, " rows read");
      for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t row = reader.read_count("a buffered row");
        SPOOL_CHECK(row < next_row_, DataLossError, stage_name(), ": saved buffered row ", row, " was not read yet (",
                    next_row_, " rows read)");
        buffer_.push_back(row);
      }
      buffer_bytes_ = n * node_.element_bytes_;
    }
    settle_budget();
  }

  static constexpr std::size_t kPrefetchRows = 4;

  const SliceBatchNode& node_;
  std::uint64_t seed_;       // the shuffle's, or a restored iterator's
  std::uint64_t iteration_;  // 0 without reshuffle_each_iteration
  std::uint64_t order_seed_;  // of seed_ and iteration_
  std::int64_t pass_ = 0;
  std::int64_t next_row_ = 0;  // rows of this pass read into the buffer (or yielded)
  std::uint64_t draws_ = 0;    // of this pass
  std::vector<std::int64_t> buffer_;
  std::int64_t buffer_bytes_ = 0;
  std::int64_t charged_bytes_ = 0;  // what the budget was told of buffer_bytes_
  std::vector<std::uint64_t> ahead_;  // draws ahead_from_... of pass ahead_pass_; not state
  std::uint64_t ahead_from_ = 0;
  std::int64_t ahead_pass_ = -1;
  // Kept from batch to batch for their storage.
  std::vector<std::int64_t> batch_rows_;
};

std::unique_ptr<IteratorBase> SliceBatchNode::make_iterator(const IteratorContext& context) const {
  return std::make_unique<SliceBatchIterator>(*this, context);
}

}  // namespace

NodePtr fuse_slice_batch(const Rewriting& rewriting, std::int64_t batch_size, bool drop_remainder) {
  if (!rewriting.optimizations().slice_batch_fusion()) return nullptr;
  NodePtr below = rewriting.input(0);
  std::int64_t passes = 1;
  const auto repeat = std::dynamic_pointer_cast<const RepeatNode>(below);
  if (repeat) {
    passes = repeat->count();
    below = repeat->input();
  }
  const auto shuffle = std::dynamic_pointer_cast<const ShuffleNode>(below);
  if (shuffle) below = shuffle->input();
  const auto slices = std::dynamic_pointer_cast<const TensorSlicesNode>(below);
  // An empty source would make a repeat end at its first pass; rows that are not
  // contiguous would need a strided copy. Both run as written.
  if (!slices || slices->cardinality() == 0 || passes == 0) return nullptr;
  for (const Tensor& t : slices->components()) {
    if (!t.is_contiguous()) return nullptr;
  }
  return std::make_shared<SliceBatchNode>(slices, shuffle, repeat != nullptr, passes, batch_size, drop_remainder);
}

}  // namespace spool::data::detail
