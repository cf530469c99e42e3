#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "data/pipeline_test_util.h"
#include "spool/data/dataset.h"
#include "spool/data/io/tfrecord_reader.h"
#include "spool/data/io/tfrecord_writer.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

namespace fs = std::filesystem;
using spool::testing::all_cuts;
using spool::testing::drain;
using spool::testing::expect_resumes_exactly;
using spool::testing::scalars;

std::vector<std::int64_t> times(std::vector<std::int64_t> pass, int n) {
  std::vector<std::int64_t> out;
  for (int i = 0; i < n; ++i) out.insert(out.end(), pass.begin(), pass.end());
  return out;
}

// range(n) through a map that counts its calls.
Dataset counted(std::int64_t n, std::atomic<std::int64_t>& calls) {
  return Dataset::range(n).map([&calls](Element e) {
    ++calls;
    return e;
  });
}

TEST(Cache, InMemoryRepeatReadsTheInputOnce) {
  std::atomic<std::int64_t> calls{0};
  auto ds = counted(5, calls).cache().repeat(3);
  EXPECT_EQ(scalars(ds), times({0, 1, 2, 3, 4}, 3));
  EXPECT_EQ(calls.load(), 5);
  EXPECT_EQ(counted(5, calls).cache().cardinality(), 5);
}

// As tf.data: the cache is the dataset's, so a custom loop's later epochs replay it.
TEST(Cache, InMemoryLaterIteratorsOfTheDatasetReplayTheFirstCompletePass) {
  std::atomic<std::int64_t> calls{0};
  const Dataset cached = counted(5, calls).cache();
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<std::int64_t> got;
    for (const Element& e : cached) got.push_back(e[0].item<std::int64_t>());
    EXPECT_EQ(got, times({0, 1, 2, 3, 4}, 1)) << "epoch " << epoch;
  }
  EXPECT_EQ(calls.load(), 5);
  // Datasets built on it share the cache; one built anew has its own.
  EXPECT_EQ(scalars(cached.repeat(2).prefetch(2)), times({0, 1, 2, 3, 4}, 2));
  EXPECT_EQ(calls.load(), 5);
  EXPECT_EQ(scalars(counted(5, calls).cache()), times({0, 1, 2, 3, 4}, 1));
  EXPECT_EQ(calls.load(), 10);
}

TEST(Cache, InMemoryShuffleBelowTheCacheIsFrozenByIt) {
  const Dataset ds = Dataset::range(20).shuffle(20, 3).cache();
  const std::vector<std::int64_t> first = scalars(ds);
  EXPECT_EQ(scalars(ds), first);  // replayed, not reshuffled (as tf.data)
  const Dataset alone = Dataset::range(20).shuffle(20, 3);
  EXPECT_EQ(scalars(alone), first);
  EXPECT_NE(scalars(alone), first);  // without the cache the next iterator reshuffles
}

TEST(Cache, InMemoryPartialPassIsNotTakenForTheWholeByLaterIterators) {
  std::atomic<std::int64_t> calls{0};
  const Dataset cached = counted(5, calls).cache();
  {
    Iterator partial = cached.make_iterator();
    EXPECT_EQ(drain(partial, 3).size(), 3u);
    // While that pass is alive another iterator reads the input itself, in full.
    EXPECT_EQ(scalars(cached), times({0, 1, 2, 3, 4}, 1));
    EXPECT_EQ(calls.load(), 8);
  }  // the partial pass drops what it recorded
  EXPECT_EQ(scalars(cached), times({0, 1, 2, 3, 4}, 1));  // records, in full
  EXPECT_EQ(calls.load(), 13);
  EXPECT_EQ(scalars(cached), times({0, 1, 2, 3, 4}, 1));  // replays
  EXPECT_EQ(calls.load(), 13);
  // A loop left early leaves nothing either.
  std::atomic<std::int64_t> calls2{0};
  const Dataset again = counted(5, calls2).cache();
  for (const Element& e : again) {
    if (e[0].item<std::int64_t>() == 1) break;
  }
  EXPECT_EQ(scalars(again), times({0, 1, 2, 3, 4}, 1));
  EXPECT_EQ(calls2.load(), 7);
}

TEST(Cache, InMemoryReplayCountsTheCacheOnceInTheIteratorsByteBudget) {
  const Dataset cached = Dataset::range(10).cache();
  drain(cached);
  Iterator it = cached.repeat(2).make_iterator();
  drain(it, 3);
  EXPECT_EQ(it.stats().buffered_bytes, 80);  // ten i64 scalars
  drain(it, 12);
  EXPECT_EQ(it.stats().buffered_bytes, 80);  // counted once for both passes
}

TEST(Cache, InMemoryUnfinishedPassIsNotReplayed) {
  std::atomic<std::int64_t> calls{0};
  auto ds = counted(5, calls).cache().take(2).repeat(3);
  EXPECT_EQ(scalars(ds), times({0, 1}, 3));
  EXPECT_EQ(calls.load(), 6);
}

TEST(Cache, InMemoryErrorsPassThroughAndAreNotReplayed) {
  auto ds = Dataset::range(4)
                .map([](Element e) {
                  SPOOL_CHECK(e[0].item<std::int64_t>() != 2, DataLossError, "bad 2");
                  return e;
                })
                .cache()
                .repeat(2);
  Iterator it = ds.make_iterator();
  std::vector<std::int64_t> got;
  int errors = 0;
  for (;;) {
    try {
      auto e = it.next();
      if (!e) break;
      got.push_back((*e)[0].item<std::int64_t>());
    } catch (const DataLossError&) {
      ++errors;
    }
  }
  EXPECT_EQ(got, (std::vector<std::int64_t>{0, 1, 3, 0, 1, 3}));
  EXPECT_EQ(errors, 1);
}

TEST(Cache, InMemoryCacheOverTheByteBudgetIsAClearError) {
  auto ds = Dataset::range(20).cache().repeat(2).with_options(Options().max_buffered_bytes(80));  // 10 elements
  Iterator it = ds.make_iterator();
  EXPECT_EQ(drain(it, 10).size(), 10u);
  try {
    it.next();
    FAIL() << "expected the budget error";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(std::string(e.what()),
              "cache: element #10 (8 bytes) would take the cache to 88 bytes, over the byte budget of 80 "
              "(Options::max_buffered_bytes); raise the budget, or cache to a file");
  }
  // The pass goes on uncached (element 10 was the error), and the next pass reads again.
  EXPECT_EQ(scalars(drain(it, 9)), (std::vector<std::int64_t>{11, 12, 13, 14, 15, 16, 17, 18, 19}));
  EXPECT_EQ(drain(it, 10).size(), 10u);
  EXPECT_THROW(it.next(), InvalidArgument);
}

TEST(Cache, InMemoryResumesExactlyAtEveryCut) {
  std::atomic<std::int64_t> calls{0};
  const auto build = [&calls] { return counted(6, calls).shuffle(4, 7).cache().repeat(3); };
  // Datasets built anew, so that cuts in the first pass resume a recording cache.
  expect_resumes_exactly(build, all_cuts(build()));
  const Dataset ds = build();
  expect_resumes_exactly(ds, all_cuts(ds));
  // A state saved while replaying carries the cache: the run resumed in a dataset built
  // anew reads no input, nor do that dataset's later iterators.
  Iterator it = ds.make_iterator();
  drain(it, 8);
  const IteratorState state = it.save();
  const Dataset fresh = build();
  const std::int64_t before = calls.load();
  Iterator resumed = fresh.make_iterator(state);
  EXPECT_EQ(drain(resumed).size(), 10u);
  EXPECT_EQ(drain(fresh).size(), 18u);
  EXPECT_EQ(calls.load(), before);
}

class FileCache : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spool_cache_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "cache.tfrecord").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string read_file() const {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void write_file(const std::string& bytes) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  // The message of the error a fresh pass over the cache throws first.
  std::string first_error() const {
    Iterator it = Dataset::range(5).cache(path_).make_iterator();
    try {
      while (it.next()) {
      }
    } catch (const DataLossError& e) {
      EXPECT_FALSE(it.next().has_value()) << "a broken cache file ends the pass";
      return e.what();
    }
    return "no error";
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(FileCache, ReusedByLaterPassesIteratorsAndDatasetsBuiltAnew) {
  std::atomic<std::int64_t> calls{0};
  auto ds = counted(5, calls).cache(path_).repeat(2);
  EXPECT_EQ(scalars(ds), times({0, 1, 2, 3, 4}, 2));
  EXPECT_EQ(calls.load(), 5);
  EXPECT_TRUE(fs::exists(path_));
  EXPECT_EQ(scalars(ds), times({0, 1, 2, 3, 4}, 2));
  std::atomic<std::int64_t> second_run_calls{0};
  EXPECT_EQ(scalars(counted(5, second_run_calls).cache(path_)), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(calls.load(), 5);
  EXPECT_EQ(second_run_calls.load(), 0);
}

TEST_F(FileCache, KeepsNamesDtypesAndShapes) {
  Tensor images = Tensor::arange(0, 12, 1, DType::kF32).reshape({3, 2, 2});
  Tensor labels = Tensor::from_vector<std::int64_t>({7, 8, 9});
  auto source = Dataset::from_tensor_slices(Element({images, labels}, {"image", "label"}));
  const auto expected = drain(source);
  EXPECT_EQ(drain(source.cache(path_)), expected);
  EXPECT_EQ(drain(source.cache(path_)), expected);  // from the file
}

TEST_F(FileCache, UnfinishedPassLeavesNoFile) {
  std::atomic<std::int64_t> calls{0};
  EXPECT_EQ(scalars(counted(5, calls).cache(path_).take(3)), (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_FALSE(fs::exists(path_));
  EXPECT_TRUE(fs::is_empty(dir_)) << "no temporary file left behind";
}

TEST_F(FileCache, TruncatedOrCorruptFileIsAnErrorNamingIt) {
  EXPECT_EQ(scalars(Dataset::range(5).cache(path_)).size(), 5u);
  const std::string whole = read_file();
  // Cut inside the last record: the TFRecord framing notices.
  write_file(whole.substr(0, whole.size() - 3));
  EXPECT_NE(first_error().find(path_), std::string::npos);
  // Cut exactly before the trailer record: only the trailer tells.
  std::uint64_t trailer_offset = 0;
  {
    TFRecordReader reader = TFRecordReader::from_string(whole);
    while (auto r = reader.next()) trailer_offset = r->offset;
  }
  write_file(whole.substr(0, trailer_offset));
  EXPECT_EQ(first_error(), "cache: element #5: " + spool::quoted(path_) +
                               " is incomplete: it ends after 5 elements where more elements or the trailer should "
                               "follow (delete it to rebuild the cache)");
  // A flipped payload byte: a CRC mismatch, with the file.
  std::string flipped = whole;
  flipped[trailer_offset / 2] = static_cast<char>(flipped[trailer_offset / 2] ^ 0x40);
  write_file(flipped);
  EXPECT_NE(first_error().find(path_), std::string::npos);
  // A TFRecord file that is not a cache.
  {
    TFRecordWriter writer(path_);
    writer.write(std::string_view("hello"));
    writer.close();
  }
  EXPECT_NE(first_error().find(path_), std::string::npos);
}

TEST_F(FileCache, ResumesExactlyAtEveryCutWhileReading) {
  auto ds = Dataset::range(6).cache(path_).repeat(2);
  expect_resumes_exactly(ds, all_cuts(ds));
}

TEST_F(FileCache, ResumesExactlyAtEveryCutWhileWriting) {
  std::atomic<std::int64_t> calls{0};
  auto ds = counted(6, calls).cache(path_).repeat(2);
  const auto expected = times({0, 1, 2, 3, 4, 5}, 2);
  for (std::int64_t cut = 0; cut <= 12; ++cut) {
    SCOPED_TRACE("cut after " + std::to_string(cut));
    fs::remove(path_);
    std::optional<Iterator> it = ds.make_iterator();
    auto got = scalars(drain(*it, cut));
    const IteratorState state = it->save();
    it.reset();  // before its end, the first pass leaves no file
    Iterator resumed = ds.make_iterator(state);
    auto rest = scalars(drain(resumed));
    got.insert(got.end(), rest.begin(), rest.end());
    EXPECT_EQ(got, expected);
    EXPECT_TRUE(fs::exists(path_)) << "a later pass from its start writes the file";
  }
}

}  // namespace
}  // namespace spool::data
