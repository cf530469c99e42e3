// The rewrites of optimizations.h: each keeps every element and its order (random
// pipelines run rewritten and as written), resumes exactly from its saved states, and
// shows in it.stats() as the stages that ran.
#include "spool/data/optimizations.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "data/pipeline_test_util.h"
#include "spool/data/dataset.h"
#include "spool/data/image/color.h"
#include "spool/data/io/example.h"
#include "spool/data/ops/parse_example_fn.h"
#include "spool/tensor/error.h"
#include "spool/tensor/random.h"

namespace spool::data {
namespace {

using spool::testing::drain;

Options written() { return Options().optimizations(Optimizations::none()); }
Options rewritten() {
  return Options().optimizations(Optimizations().map_fusion(true).map_parallelization(true)).autotune_parallelism(2);
}

// t with op applied to every value (i64), shape kept.
template <typename Op>
Tensor each(const Tensor& t, Op op) {
  std::vector<std::int64_t> v = t.to_vector<std::int64_t>();
  for (std::int64_t& x : v) x = op(x);
  return Tensor::from_vector(v, t.shape());
}

std::vector<Element> first_pass(const Dataset& ds) {
  Iterator it = ds.make_iterator_at(0);
  return drain(it);
}

std::vector<std::string> stage_names(const Dataset& ds) {
  Iterator it = ds.make_iterator();
  drain(it);
  std::vector<std::string> names;
  for (const StageStats& s : it.stats().stages) names.push_back(s.name);
  return names;
}

// Serialized Examples {image: 5 bytes, label: i} as a record source.
Dataset records(std::int64_t n) {
  std::vector<Element> out;
  for (std::int64_t i = 0; i < n; ++i) {
    Example ex;
    ex.features["image"] = Feature::bytes({std::string(5, static_cast<char>('a' + i % 26))});
    ex.features["label"] = Feature::int64s({i});
    out.push_back(Element{Tensor::from_bytes(encode_example(ex))});
  }
  return spool::testing::from_elements(std::move(out));
}

FeatureSpec spec() {
  FeatureSpec s;
  s.add("image", FixedLen::bytes()).add("label", FixedLen::int64());
  return s;
}

// A pipeline drawn from `gen`: a range, then up to six stages, each one a rewrite may
// touch (maps inline, parallel or random, batches, no-op and real skips/takes/shards,
// seeded shuffles, repeats, filters).
Dataset random_pipeline(Generator& gen, std::string& description) {
  auto pick = [&](std::int64_t n) { return static_cast<std::int64_t>(gen.next_u64() % static_cast<std::uint64_t>(n)); };
  Dataset ds = Dataset::range(pick(40) + 1);
  description = "range";
  bool batched = false;
  const std::int64_t stages = pick(6) + 1;
  for (std::int64_t s = 0; s < stages; ++s) {
    const std::int64_t kind = pick(10);
    const auto k = pick(5) + 1;
    if (batched && kind < 4) {  // maps over batches: keep them elementwise
      ds = ds.map([k](Element e) { return Element{each(e[0], [k](std::int64_t x) { return x + k; })}; },
                  MapOptions().stateless(true));
      description += ".map(+k)";
      continue;
    }
    switch (kind) {
      case 0: {
        MapFn scale = [k](Element e) { return Element{each(e[0], [k](std::int64_t x) { return x * k; })}; };
        const bool pointwise = pick(2) == 0;
        ds = ds.map(pointwise ? elementwise(scale) : scale, MapOptions().stateless(true).name("scale"));
        description += pointwise ? ".map(elementwise scale)" : ".map(scale)";
        break;
      }
      case 1:
        ds = ds.map([](Element e) { return Element{each(e[0], [](std::int64_t x) { return x - 1; })}; },
                    MapOptions().parallelism(2));
        description += ".map(parallel)";
        break;
      case 2:
        ds = ds.map(
            [](Element e, Generator& g) {
              const auto r = static_cast<std::int64_t>(g.next_u64() % 100);
              return Element{each(e[0], [r](std::int64_t x) { return x + r; })};
            },
            MapOptions().seed(static_cast<std::uint64_t>(k)).name("noise"));
        description += ".map(random)";
        break;
      case 3:
        ds = ds.map([](Element e) { return Element{e[0], e[0]}; }).map([](Element e) { return Element{e[1]}; });
        description += ".map.map";
        break;
      case 4:
        ds = ds.batch(k, pick(2) == 0);
        batched = true;
        description += ".batch(" + std::to_string(k) + ")";
        break;
      case 5:
        ds = pick(2) ? ds.skip(0).take(-1) : ds.skip(k / 2).take(k * 3);
        description += ".skip.take";
        break;
      case 6:
        ds = pick(2) ? ds.shard(1, 0) : ds.shard(2, pick(2));
        description += ".shard";
        break;
      case 7:
        ds = ds.shuffle(ShuffleOptions().buffer_size(k * 2).seed(static_cast<std::uint64_t>(k)));
        description += ".shuffle";
        break;
      case 8:
        ds = ds.repeat(2);
        description += ".repeat(2)";
        break;
      default:
        if (!batched) {
          ds = ds.filter([](const Element& e) { return e[0].item<std::int64_t>() % 3 != 0; });
          description += ".filter";
        }
    }
  }
  return ds;
}

TEST(Optimizations, RandomPipelinesYieldTheSameElementsRewrittenAndResumeExactly) {
  Generator gen(2024);
  int changed = 0;
  for (int p = 0; p < 60; ++p) {
    std::string description;
    const Dataset ds = random_pipeline(gen, description);
    SCOPED_TRACE("pipeline " + std::to_string(p) + ": " + description);
    const Dataset plain = ds.with_options(written());
    const Dataset fast = ds.with_options(rewritten());
    const std::vector<Element> expected = first_pass(plain);
    ASSERT_EQ(first_pass(fast), expected);
    if (stage_names(plain) != stage_names(fast)) ++changed;
    // Cuts at the start, the end and a few places between.
    const auto n = static_cast<std::int64_t>(expected.size());
    spool::testing::expect_resumes_exactly(fast, {0, n / 3, n / 2, n});
  }
  // The pipelines exercise the rewrites, not only the stages as written.
  EXPECT_GE(changed, 20);
}

// from_tensor_slices of u8 images [rows, 2, 3] and i64 labels, then the stages the
// slice + batch fusion takes (a shuffle, a repeat, a batch, an elementwise map between),
// each there or not, and stages above it.
Dataset random_slice_pipeline(Generator& gen, std::string& description) {
  auto pick = [&](std::int64_t n) { return static_cast<std::int64_t>(gen.next_u64() % static_cast<std::uint64_t>(n)); };
  const std::int64_t rows = pick(30) + 1;
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(rows * 6));
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i * 7 % 251);
  Dataset ds = Dataset::from_tensor_slices({Tensor::from_vector(pixels, Shape{rows, 2, 3}), Tensor::arange(0, rows)});
  description = "slices(" + std::to_string(rows) + ")";
  if (pick(4) != 0) {
    const std::int64_t buffer = pick(2 * rows) + 1;
    ds = ds.shuffle(ShuffleOptions().buffer_size(buffer).seed(gen.next_u64()).reshuffle_each_iteration(pick(3) != 0));
    description += ".shuffle(" + std::to_string(buffer) + ")";
  }
  bool forever = false;
  if (pick(3) != 0) {
    const std::int64_t count = pick(4) - 1;  // -1: forever, then a take above
    forever = count < 0;
    ds = ds.repeat(count);
    description += ".repeat(" + std::to_string(count) + ")";
  }
  if (pick(2) == 0) {
    ds = ds.map(elementwise([](Element e) { return e; }));
    description += ".map(elementwise)";
  }
  const std::int64_t batch = pick(7) + 1;
  const bool drop = pick(2) == 0;
  ds = ds.batch(batch, drop);
  description += ".batch(" + std::to_string(batch) + (drop ? ", drop)" : ")");
  if (forever) {
    ds = ds.take(pick(20) + 1);
    description += ".take";
  }
  if (pick(3) == 0) {
    ds = ds.repeat(2);
    description += ".repeat(2)";
  }
  return ds;
}

TEST(Optimizations, BatchesOfShuffledRepeatedSlicesAreGatheredInTheWrittenOrder) {
  Generator gen(77);
  int fused = 0;
  for (int p = 0; p < 60; ++p) {
    // Built anew for each use (a reshuffling shuffle counts the iterators made of it).
    const std::uint64_t seed = gen.next_u64();
    std::string description;
    auto build = [&] {
      Generator g(seed);
      return random_slice_pipeline(g, description);
    };
    const Dataset ds = build();
    SCOPED_TRACE("pipeline " + std::to_string(p) + ": " + description);
    const std::vector<std::string> names = stage_names(build());
    if (std::any_of(names.begin(), names.end(), [](const std::string& n) { return n.starts_with("tensor_slices+"); })) {
      ++fused;
    }
    // The first iterator of each, then the second: a reshuffling shuffle counts its
    // iterations through the fused stage too.
    const Dataset plain = build().with_options(written());
    Iterator a0 = plain.make_iterator(), b0 = ds.make_iterator();
    Iterator a1 = plain.make_iterator(), b1 = ds.make_iterator();
    const std::vector<Element> expected = drain(a0);
    ASSERT_EQ(drain(b0), expected);
    ASSERT_EQ(drain(b1), drain(a1));
    // A byte budget of a few rows shrinks the shuffle's buffer at the same point.
    const Options budget = Options().max_buffered_bytes(40);
    ASSERT_EQ(first_pass(build().with_options(budget)),
              first_pass(build().with_options(Options(budget).optimizations(Optimizations::none()))));
    const auto n = static_cast<std::int64_t>(expected.size());
    spool::testing::expect_resumes_exactly(build, {0, std::min<std::int64_t>(1, n), n / 3, n / 2, n});
  }
  EXPECT_GE(fused, 40);
}

TEST(Optimizations, ParseExampleThenBatchRunsAsParseExampleBatch) {
  const Dataset ds = records(10).map(parse_example(spec())).batch(4);
  const std::vector<std::string> fast = stage_names(ds);
  EXPECT_NE(std::find(fast.begin(), fast.end(), "parse_example_batch"), fast.end());
  EXPECT_EQ(std::find(fast.begin(), fast.end(), "batch"), fast.end());
  const std::vector<std::string> plain = stage_names(ds.with_options(written()));
  EXPECT_NE(std::find(plain.begin(), plain.end(), "batch"), plain.end());
  EXPECT_EQ(std::find(plain.begin(), plain.end(), "parse_example_batch"), plain.end());

  const std::vector<Element> expected = drain(ds.with_options(written()));
  ASSERT_EQ(expected.size(), 3u);
  EXPECT_EQ(drain(ds), expected);
  EXPECT_EQ(expected[2]["label"].to_vector<std::int64_t>(), (std::vector<std::int64_t>{8, 9}));
  spool::testing::expect_resumes_exactly(ds, spool::testing::all_cuts(ds));
  // Parallel parsing fuses too; a spec parse_example_batch cannot take does not.
  const std::vector<std::string> parallel =
      stage_names(records(10).map(parse_example(spec()), MapOptions().parallelism(2)).batch(4));
  EXPECT_NE(std::find(parallel.begin(), parallel.end(), "parse_example_batch"), parallel.end());
  FeatureSpec varlen;
  varlen.add("label", VarLen::int64());
  const std::vector<std::string> kept = stage_names(records(10).map(parse_example(varlen)).batch(4));
  EXPECT_EQ(std::find(kept.begin(), kept.end(), "parse_example_batch"), kept.end());
}

// (batch or error message) for each next() of a pipeline, through errors.
std::vector<std::string> outcomes(const Dataset& ds) {
  Iterator it = ds.make_iterator();
  std::vector<std::string> out;
  for (int guard = 0; guard < 100; ++guard) {
    try {
      std::optional<Element> e = it.next();
      if (!e) break;
      std::string values;
      for (std::int64_t v : (*e)[0].to_vector<std::int64_t>()) values += std::to_string(v) + " ";
      out.push_back(values);
    } catch (const Error& error) {
      out.push_back(std::string("error: ") + error.what());
    }
  }
  return out;
}

TEST(Optimizations, MapAndBatchFailsAtTheSameBatchesAsTheStagesItFuses) {
  // Map errors at 4 and 5; an input error (the filter's) at 11.
  const Dataset ds = Dataset::range(16)
                         .filter([](const Element& e) {
                           SPOOL_CHECK(e[0].item<std::int64_t>() != 11, InvalidArgument, "input error at 11");
                           return true;
                         })
                         .map(
                             [](Element e) {
                               const auto v = e[0].item<std::int64_t>();
                               SPOOL_CHECK(v != 4 && v != 5, InvalidArgument, "map error at ", v);
                               return Element{each(e[0], [](std::int64_t x) { return x * 10; })};
                             },
                             MapOptions().name("times10"))
                         .batch(3);
  EXPECT_NE(stage_names(ds.ignore_errors()).back(), "batch");
  const std::vector<std::string> expected = outcomes(ds.with_options(written()));
  EXPECT_EQ(outcomes(ds), expected);
  EXPECT_NE(std::count_if(expected.begin(), expected.end(), [](const std::string& s) { return s.find("times10: element #4") != std::string::npos; }), 0);
  // With the errors dropped, and resumed from every position.
  const Dataset skipping = ds.ignore_errors();
  EXPECT_EQ(drain(skipping), drain(skipping.with_options(written())));
  spool::testing::expect_resumes_exactly(skipping, spool::testing::all_cuts(skipping));
}

TEST(Optimizations, AnElementwiseMapRunsOncePerBatchAfterTheBatch) {
  std::vector<std::uint8_t> pixels(50 * 4 * 3);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i * 37 % 251);
  const Tensor images = Tensor::from_vector(pixels, Shape{50, 4, 3});
  const Tensor labels = Tensor::arange(0, 50);
  int calls = 0;
  const Dataset ds = Dataset::from_tensor_slices({images, labels})
                         .shuffle(16, 3)
                         .map(rescale_fn(1.0f / 255, -0.5f), MapOptions().name("rescale"))
                         .map(
                             [&calls](Element e) {
                               ++calls;
                               return e;
                             },
                             MapOptions().name("count"))
                         .batch(8, /*drop_remainder=*/true);
  // Only the elementwise map moves: the one after it is not elementwise.
  const Dataset rescaled = Dataset::from_tensor_slices({images, labels})
                               .shuffle(16, 3)
                               .map(rescale_fn(1.0f / 255, -0.5f), MapOptions().name("rescale"))
                               .map(convert_dtype_fn(DType::kU8), MapOptions().name("to_u8"))
                               .batch(8, true);
  EXPECT_EQ(stage_names(rescaled), (std::vector<std::string>{"tensor_slices+shuffle+batch", "rescale", "to_u8"}));
  EXPECT_EQ(stage_names(rescaled.with_options(Options().optimizations(Optimizations().slice_batch_fusion(false)))),
            (std::vector<std::string>{"tensor_slices", "shuffle", "batch", "rescale", "to_u8"}));
  EXPECT_EQ(stage_names(ds), (std::vector<std::string>{"tensor_slices", "shuffle", "rescale", "count+batch"}));
  for (const Dataset& d : {ds, rescaled}) {
    // Iteration 0 of the shuffle in each (the written and rewritten share the stage).
    const std::vector<Element> expected = first_pass(d.with_options(written()));
    ASSERT_EQ(expected.size(), 6u);
    EXPECT_EQ(expected[0][0].shape(), (Shape{8, 4, 3}));
    EXPECT_TRUE(first_pass(d) == expected);
    EXPECT_TRUE(first_pass(d.with_options(rewritten())) == expected);
    spool::testing::expect_resumes_exactly(d, spool::testing::all_cuts(d));
  }
  // The batch runs first: one call of the map per batch.
  calls = 0;
  const Dataset per_batch = Dataset::from_tensor_slices({images, labels})
                                .map(elementwise([&calls](Element e) {
                                  ++calls;
                                  return e;
                                }))
                                .batch(10);
  EXPECT_EQ(drain(per_batch).size(), 5u);
  EXPECT_EQ(calls, 5);
  drain(per_batch.with_options(written()));
  EXPECT_EQ(calls, 55);
}

TEST(Optimizations, StagesShowAsTheyRun) {
  auto twice = [](Element e) { return Element{each(e[0], [](std::int64_t x) { return x * 2; })}; };
  const Dataset ds = Dataset::range(10)
                         .skip(0)
                         .take(-1)
                         .shard(1, 0)
                         .map(twice, MapOptions().name("twice"))
                         .map(twice, MapOptions().name("again"))
                         .batch(2);
  EXPECT_EQ(stage_names(ds.with_options(written())),
            (std::vector<std::string>{"range", "skip", "take", "shard", "twice", "again", "batch"}));
  EXPECT_EQ(stage_names(ds), (std::vector<std::string>{"range", "twice", "again+batch"}));
  EXPECT_EQ(stage_names(ds.with_options(rewritten())), (std::vector<std::string>{"range", "twice+again+batch"}));
  // Each rewrite is switched on its own.
  EXPECT_EQ(stage_names(ds.with_options(Options().optimizations(Optimizations::none().noop_elimination(true)))),
            (std::vector<std::string>{"range", "twice", "again", "batch"}));
  EXPECT_EQ(drain(ds.with_options(rewritten()))[4][0].to_vector<std::int64_t>(), (std::vector<std::int64_t>{32, 36}));
}

TEST(Optimizations, AStateRestoresOnlyUnderTheRewritesThatSavedIt) {
  const Dataset ds = Dataset::range(10).map([](Element e) { return e; }).batch(2);
  Iterator it = ds.make_iterator();
  it.next();
  const IteratorState state = it.save();
  EXPECT_THROW(ds.with_options(written()).make_iterator(state), Error);
  Iterator resumed = ds.make_iterator(state);
  EXPECT_EQ((*resumed.next())[0].to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 3}));
}

TEST(Optimizations, AShuffleAboveARewriteKeepsCountingItsIterations) {
  auto build = [](const Options& options) {
    return Dataset::range(40).map([](Element e) { return e; }).batch(2).shuffle(20, 5).with_options(options);
  };
  const Dataset ds = build(Options());
  const Dataset plain = build(written());
  // Iterators 0 and 1 of each pipeline: the same two orders, different from each other.
  const std::vector<Element> a0 = drain(ds), a1 = drain(ds);
  const std::vector<Element> b0 = drain(plain), b1 = drain(plain);
  EXPECT_EQ(a0, b0);
  EXPECT_EQ(a1, b1);
  EXPECT_NE(a0, a1);
}

TEST(Optimizations, MapParallelizationRunsAStatelessMapOnWorkers) {
  std::mutex mu;
  std::set<std::thread::id> threads;
  auto record_thread = [&](Element e) {
    std::lock_guard lock(mu);
    threads.insert(std::this_thread::get_id());
    // Slow enough that the workers share the elements.
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    return e;
  };
  const Dataset ds = Dataset::range(200).map(record_thread, MapOptions().stateless(true));
  EXPECT_EQ(drain(ds.with_options(rewritten())), drain(ds.with_options(written())));
  threads.clear();
  drain(ds.with_options(written()));
  EXPECT_EQ(threads.size(), 1u);
  threads.clear();
  drain(ds.with_options(rewritten()));
  EXPECT_GE(threads.size(), 2u);
  // Not declared stateless: stays on the consumer's thread.
  threads.clear();
  drain(Dataset::range(200).map(record_thread).with_options(rewritten()));
  EXPECT_EQ(threads.size(), 1u);
}

}  // namespace
}  // namespace spool::data
