// auto_shard: finds the lists of files by walking DatasetNode::inputs() from the root
// (an explicit stack; a list's own inputs are not searched), then builds the pipeline
// anew bottom-up with DatasetNode::with_inputs(), a shard placed right above each list
// (FILE) or at the top (DATA).
#include "spool/data/auto_shard.h"

#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "spool/tensor/error.h"

namespace spool::data {
namespace {

using detail::DatasetNode;
using detail::NodePtr;

struct ListFound {
  NodePtr node;
  std::string reader;  // the stage that reads it ("" at the root)
  detail::FileList files;
};

struct Walk {
  std::vector<ListFound> lists;  // in the order the walk meets them, each once
  std::size_t stages = 0;
};

Walk find_file_lists(const NodePtr& root) {
  Walk walk;
  std::unordered_set<const DatasetNode*> seen;
  std::vector<std::pair<NodePtr, std::string>> stack{{root, ""}};
  while (!stack.empty()) {
    auto [node, reader] = std::move(stack.back());
    stack.pop_back();
    if (!seen.insert(node.get()).second) continue;
    ++walk.stages;
    if (std::optional<detail::FileList> files = node->file_list()) {
      walk.lists.push_back({node, std::move(reader), std::move(*files)});
      continue;
    }
    const std::vector<NodePtr> inputs = node->inputs();
    for (auto it = inputs.rbegin(); it != inputs.rend(); ++it) stack.emplace_back(*it, node->name());
  }
  return walk;
}

// The pipeline under `root` built anew, each node of `sharded` followed by
// shard(num_workers, index). Nodes shared by several stages stay shared.
NodePtr rebuild(const NodePtr& root, const std::unordered_set<const DatasetNode*>& sharded, std::int64_t num_workers,
                std::int64_t index) {
  std::unordered_map<const DatasetNode*, NodePtr> built;
  std::vector<std::pair<NodePtr, bool>> stack{{root, false}};  // (node, its inputs are pushed)
  while (!stack.empty()) {
    auto [node, expanded] = std::move(stack.back());
    stack.pop_back();
    if (built.count(node.get())) continue;
    const std::vector<NodePtr> inputs = node->inputs();
    if (!expanded) {
      stack.emplace_back(node, true);
      for (const NodePtr& input : inputs) stack.emplace_back(input, false);
      continue;
    }
    std::vector<NodePtr> new_inputs;
    for (const NodePtr& input : inputs) new_inputs.push_back(built.at(input.get()));
    NodePtr copy = node->with_inputs(std::move(new_inputs));
    if (sharded.count(node.get())) copy = Dataset(std::move(copy)).shard(num_workers, index).node();
    built.emplace(node.get(), std::move(copy));
  }
  return built.at(root.get());
}

std::string describe(const ListFound& list) {
  const std::size_t n = list.files.paths.size();
  std::string text = std::to_string(n) + (n == 1 ? " file of " : " files of ") + list.node->name();
  if (!list.reader.empty()) text += " (read by " + list.reader + ")";
  return text;
}

// Why FILE cannot shard these lists over num_workers; empty when it can.
std::string why_not_by_file(const Walk& walk, std::int64_t num_workers) {
  if (walk.lists.empty()) {
    return "no list of files (list_files, file_names, a TFRecordDataset's files, ImageFolderDataset) among the " +
           std::to_string(walk.stages) + " stages of the pipeline";
  }
  for (const ListFound& list : walk.lists) {
    if (static_cast<std::int64_t>(list.files.paths.size()) < num_workers) {
      return describe(list) + " for " + std::to_string(num_workers) + " workers";
    }
  }
  return {};
}

// An unseeded shuffled list is an error for FILE and AUTO (DATA would not help: each
// worker would read the files in an order of its own).
void check_seeded(const Walk& walk) {
  for (const ListFound& list : walk.lists) {
    SPOOL_CHECK(!list.files.shuffle || list.files.seed, InvalidArgument, "auto_shard: ", describe(list),
                " shuffles them without a seed, so each worker would draw its own order and read some files twice "
                "and others never; give the list a seed (list_files(pattern, true, seed), "
                "ImageFolderOptions().seed(s)) or do not shuffle it");
  }
}

std::string file_reason(const Walk& walk, std::int64_t num_workers) {
  std::string text = "FILE: ";
  for (std::size_t i = 0; i < walk.lists.size(); ++i) text += (i ? ", " : "") + describe(walk.lists[i]);
  text += " over " + std::to_string(num_workers) + " workers";
  if (walk.lists.size() == 1) {
    const auto n = static_cast<std::int64_t>(walk.lists[0].files.paths.size());
    text += ", " + std::to_string(n / num_workers);
    if (n % num_workers) text += " or " + std::to_string(n / num_workers + 1);
    text += " each";
  }
  return text;
}

}  // namespace

AutoShard auto_shard(const Dataset& ds, std::int64_t num_workers, std::int64_t index, AutoShardPolicy policy) {
  SPOOL_CHECK(num_workers >= 1, InvalidArgument, "auto_shard: num_workers must be >= 1, got ", num_workers);
  SPOOL_CHECK(index >= 0 && index < num_workers, InvalidArgument, "auto_shard: worker index ", index,
              " out of range [0, ", num_workers, ")");
  SPOOL_CHECK(policy == AutoShardPolicy::kAuto || policy == AutoShardPolicy::kFile ||
                  policy == AutoShardPolicy::kData || policy == AutoShardPolicy::kOff,
              InvalidArgument, "auto_shard: unknown policy ", static_cast<int>(policy));
  if (policy == AutoShardPolicy::kOff) return {ds, AutoShardPolicy::kOff, "OFF: as asked"};
  if (num_workers == 1) return {ds, AutoShardPolicy::kOff, "OFF: 1 worker"};
  const auto by_data = [&](std::string why) {
    Dataset rebuilt(rebuild(ds.node(), {}, num_workers, index), ds.options());
    return AutoShard{rebuilt.shard(num_workers, index), AutoShardPolicy::kData, "DATA: " + why};
  };
  if (policy == AutoShardPolicy::kData) return by_data("as asked");

  const Walk walk = find_file_lists(ds.node());
  check_seeded(walk);
  const std::string problem = why_not_by_file(walk, num_workers);
  if (!problem.empty()) {
    SPOOL_CHECK(policy != AutoShardPolicy::kFile, InvalidArgument, "auto_shard: cannot shard by FILE: ", problem,
                " (each worker needs files of its own; DATA shards the elements)");
    return by_data(problem);
  }
  std::unordered_set<const DatasetNode*> lists;
  for (const ListFound& list : walk.lists) lists.insert(list.node.get());
  return {Dataset(rebuild(ds.node(), lists, num_workers, index), ds.options()), AutoShardPolicy::kFile,
          file_reason(walk, num_workers)};
}

}  // namespace spool::data
