#include "spool/autodiff/layers/functional.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <unordered_map>

#include "spool/autodiff/layers/summary.h"

namespace spool::layers {
namespace detail {

struct SymbolicNode {
  std::shared_ptr<Layer> layer;
  std::vector<SymbolicTensor> inputs;
  std::uint64_t sequence = 0;  // when it was made: the order Keras names layers in
};

}  // namespace detail
namespace {

std::uint64_t next_sequence() {
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

using Node = detail::SymbolicNode;

// Where Keras' _build_map and depth pass put a node.
struct Placement {
  std::int64_t first_seen = -1;  // pre-order index of the depth-first walk from the outputs
  std::int64_t depth = 0;        // the longest path to an output
};

}  // namespace

const std::shared_ptr<Layer>& SymbolicTensor::layer() const { return node_->layer; }

InputLayer::InputLayer(Shape shape, std::string name) : Layer(std::move(name)), shape_(std::move(shape)) {}

Shape InputLayer::build_layer(const Shape& input_shape, autodiff::VariableArena& /*arena*/, Generator& /*gen*/) {
  if (input_shape != shape_) shape_error(input_shape, "the Input's declared shape is " + batch_shape_string(shape_));
  return shape_;
}

Tensor InputLayer::call(const Tensor& x, const CallContext& /*context*/) const { return x; }

SymbolicTensor Input(Shape shape, std::string name) {
  auto layer = std::make_shared<InputLayer>(std::move(shape), std::move(name));
  return SymbolicTensor(std::make_shared<const Node>(Node{std::move(layer), {}, next_sequence()}));
}

SymbolicTensor connect(std::shared_ptr<Layer> layer, std::vector<SymbolicTensor> inputs) {
  SPOOL_CHECK(layer != nullptr, InvalidArgument, "connect: a null layer");
  SPOOL_CHECK(!inputs.empty(), InvalidArgument, "connect: ", layer->type(), " ", quoted(layer->name()),
              " called on no inputs");
  for (const SymbolicTensor& t : inputs) {
    SPOOL_CHECK(t.node_ != nullptr, InvalidArgument, "connect: ", layer->type(), " ", quoted(layer->name()),
                " called on an empty SymbolicTensor (make inputs with Input())");
  }
  return SymbolicTensor(std::make_shared<const Node>(Node{std::move(layer), std::move(inputs), next_sequence()}));
}

SymbolicTensor connect(std::shared_ptr<Layer> layer, const SymbolicTensor& input) {
  return connect(std::move(layer), std::vector<SymbolicTensor>{input});
}

FunctionalModel::FunctionalModel(const SymbolicTensor& input, const SymbolicTensor& output, std::string name,
                                 DType dtype)
    : FunctionalModel(std::vector<SymbolicTensor>{input}, std::vector<SymbolicTensor>{output}, std::move(name),
                      dtype) {}

FunctionalModel::FunctionalModel(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs,
                                 std::string name, DType dtype)
    : Model(std::move(name), dtype) {
  const std::string who = type() + " " + quoted(this->name());
  SPOOL_CHECK(!inputs.empty() && !outputs.empty(), InvalidArgument, who, ": needs inputs and outputs, got ",
              inputs.size(), " and ", outputs.size());
  for (const SymbolicTensor& t : inputs) {
    SPOOL_CHECK(t.node_ != nullptr && dynamic_cast<const InputLayer*>(t.node_->layer.get()) != nullptr,
                InvalidArgument, who, ": a model input must come from Input(), got ",
                t.node_ ? t.node_->layer->type() + " " + quoted(t.node_->layer->name()) : "an empty SymbolicTensor");
  }
  for (const SymbolicTensor& t : outputs) {
    SPOOL_CHECK(t.node_ != nullptr, InvalidArgument, who, ": an output is an empty SymbolicTensor");
  }

  // Keras' _build_map: depth first from each output, a node's inputs in order; a node's
  // index is where the walk first meets it, the list is in post-order.
  std::unordered_map<const Node*, Placement> placed;
  std::vector<const Node*> post_order;
  std::int64_t seen = 0;
  for (const SymbolicTensor& out : outputs) {
    if (placed.contains(out.node_.get())) continue;
    std::vector<std::pair<const Node*, std::size_t>> stack{{out.node_.get(), 0}};
    placed[out.node_.get()].first_seen = seen++;
    while (!stack.empty()) {
      const Node* node = stack.back().first;
      const std::size_t next = stack.back().second++;
      if (next == node->inputs.size()) {
        post_order.push_back(node);
        stack.pop_back();
        continue;
      }
      const Node* child = node->inputs[next].node_.get();
      if (placed.contains(child)) continue;  // nodes only point at older ones: no cycles
      placed[child].first_seen = seen++;
      stack.emplace_back(child, 0);
    }
  }
  // Depth: consumers first (reverse post-order), each pushing its inputs one deeper.
  for (auto it = post_order.rbegin(); it != post_order.rend(); ++it) {
    const std::int64_t depth = placed[*it].depth;
    for (const SymbolicTensor& in : (*it)->inputs) {
      Placement& p = placed[in.node_.get()];
      p.depth = std::max(p.depth, depth + 1);
    }
  }
  std::set<const Node*> declared;
  for (const SymbolicTensor& t : inputs) {
    SPOOL_CHECK(declared.insert(t.node_.get()).second, InvalidArgument, who, ": Input ",
                quoted(t.node_->layer->name()), " given twice");
    if (!placed.contains(t.node_.get())) {  // an input no output uses: kept, as Keras
      placed[t.node_.get()] = Placement{-1, 0};
      post_order.push_back(t.node_.get());
    }
  }

  std::vector<const Node*> nodes = post_order;
  std::set<std::string> taken;
  for (const Node* n : nodes)
    if (!n->layer->name().empty()) taken.insert(n->layer->name());
  // Keras names a layer when it is made, so unnamed layers are named in creation order.
  std::sort(nodes.begin(), nodes.end(), [](const Node* a, const Node* b) { return a->sequence < b->sequence; });
  const auto is_taken = [&](const std::string& n) { return taken.contains(n); };
  for (const Node* n : nodes) {
    if (!n->layer->name().empty()) continue;
    const bool input = dynamic_cast<const InputLayer*>(n->layer.get()) != nullptr;
    n->layer->set_name(unique_layer_name(input ? "input" : n->layer->default_name(), is_taken, input));
    taken.insert(n->layer->name());
  }
  std::set<const Layer*> used;
  for (const Node* n : nodes) {
    SPOOL_CHECK(used.insert(n->layer.get()).second, InvalidArgument, who, ": ", n->layer->type(), " ",
                quoted(n->layer->name()), " is called twice in the graph (shared layers are not supported)");
    SPOOL_CHECK(dynamic_cast<const InputLayer*>(n->layer.get()) == nullptr || declared.contains(n), InvalidArgument,
                who, ": the outputs depend on Input ", quoted(n->layer->name()),
                ", which is not among the model's inputs (graph disconnected)");
  }

  // Keras' layer order: deepest first, ties by where the walk first met them.
  std::sort(nodes.begin(), nodes.end(), [&](const Node* a, const Node* b) {
    const Placement &pa = placed[a], &pb = placed[b];
    return pa.depth != pb.depth ? pa.depth > pb.depth : pa.first_seen < pb.first_seen;
  });
  std::unordered_map<const Node*, std::size_t> index;
  std::map<std::int64_t, int> nodes_at_depth;
  sequential_like_ = true;
  for (const Node* n : nodes) {
    const std::size_t i = index.size();
    index[n] = i;
    add_layer(n->layer);
    sources_.emplace_back();
    for (const SymbolicTensor& in : n->inputs) sources_.back().push_back(index.at(in.node_.get()));
    if (++nodes_at_depth[placed[n].depth] > 1 || n->inputs.size() > 1) sequential_like_ = false;
  }
  for (const SymbolicTensor& t : inputs) {
    inputs_.push_back(index.at(t.node_.get()));
    input_shapes_declared_.push_back(static_cast<const InputLayer&>(*t.node_->layer).shape());
  }
  for (const SymbolicTensor& t : outputs) outputs_.push_back(index.at(t.node_.get()));
}

void FunctionalModel::build(std::uint64_t seed) { Model::build(input_shapes_declared_, seed); }

std::vector<Shape> FunctionalModel::build_layers(const std::vector<Shape>& input_shapes, const Generator& root) {
  SPOOL_CHECK(input_shapes.size() == inputs_.size(), InvalidArgument, type(), " ", quoted(name()), ": has ",
              inputs_.size(), " inputs, build() got ", input_shapes.size(), " shapes");
  for (std::size_t i = 0; i < layers().size(); ++i) {
    std::vector<Shape> in;
    for (std::size_t s : sources_[i]) in.push_back(layers()[s]->output_shape());
    const auto input = std::find(inputs_.begin(), inputs_.end(), i);
    if (input != inputs_.end()) in.push_back(input_shapes[static_cast<std::size_t>(input - inputs_.begin())]);
    Generator gen = root.fork(i);
    layers()[i]->build(in, arena(), gen);
  }
  std::vector<Shape> out;
  for (std::size_t o : outputs_) out.push_back(layers()[o]->output_shape());
  return out;
}

std::vector<Tensor> FunctionalModel::call_list(const std::vector<Tensor>& inputs, const CallContext& context) const {
  std::vector<Tensor> values(layers().size());
  for (std::size_t k = 0; k < inputs_.size(); ++k) values[inputs_[k]] = inputs[k];
  for (std::size_t i = 0; i < layers().size(); ++i) {
    Layer& layer = *layers()[i];
    if (sources_[i].empty()) {  // an Input: checks the shape
      values[i] = layer(values[i], context);
      continue;
    }
    std::vector<Tensor> args;
    for (std::size_t s : sources_[i]) args.push_back(values[s]);
    values[i] = layer(args, context);
  }
  std::vector<Tensor> out;
  for (std::size_t o : outputs_) out.push_back(values[o]);
  return out;
}

std::string FunctionalModel::summary() const {
  if (sequential_like_) return Model::summary();
  check_built("has no summary");
  std::vector<SummaryRow> rows;
  for (std::size_t i = 0; i < layers().size(); ++i) {
    rows.push_back(summary_row(*layers()[i]));
    // "<layer>[node][tensor]": every layer here has one node and one output.
    for (std::size_t s : sources_[i]) rows.back().connected_to.push_back(layers()[s]->name() + "[0][0]");
  }
  return summary_table(name(), rows, /*connections=*/true, count_params(), trainable_params());
}

}  // namespace spool::layers
