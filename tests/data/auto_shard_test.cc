// auto_shard: FILE gives each worker files index, index + K, ... of the list's order
// (checked against an independent model built from the files' records), DATA every K-th
// element; across workers every record arrives exactly once; AUTO's choice and reason;
// the errors.
#include "spool/data/auto_shard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "data/pipeline_test_util.h"
#include "spool/data/io/tfrecord_writer.h"
#include "spool/data/sources/image_folder_dataset.h"
#include "spool/data/sources/list_files.h"
#include "spool/data/sources/tfrecord_dataset.h"
#include "spool/tensor/error.h"
#include "test_support.h"

namespace spool::data {
namespace {

using spool::testing::drain;
using spool::testing::TempDir;

// Records of file k: "f<k>-r<ii>", fixed length so that batches of them stack.
std::string shard_payload(std::size_t file, std::size_t record) {
  return "f" + std::to_string(file) + "-r" + (record < 10 ? "0" : "") + std::to_string(record);
}

std::vector<std::string> records_of(const std::vector<Element>& elements) {
  std::vector<std::string> out;
  for (const Element& e : elements) out.emplace_back(e[0].as_string_view());
  return out;
}

std::vector<std::string> records_of(const Dataset& ds) { return records_of(drain(ds)); }

// Every list below has files of different lengths, so a wrong share shows in the counts.
const std::vector<std::size_t> kCounts{3, 1, 4, 2, 5};

class AutoShardTest : public ::testing::Test {
 protected:
  // Writes files part-<k>.tfrecord with kCounts[k] records (and their .idx, so the
  // cardinality is known); returns the paths in file order.
  std::vector<std::string> write_files(std::size_t n = kCounts.size()) {
    std::vector<std::string> files;
    for (std::size_t k = 0; k < n; ++k) {
      files.push_back(dir_.file("part-" + std::to_string(k) + ".tfrecord"));
      TFRecordWriter writer(files.back(), WriterOptions().write_index(true));
      for (std::size_t i = 0; i < kCounts[k]; ++i) writer.write(shard_payload(k, i));
      writer.close();
    }
    return files;
  }
  // The records of the given files read in this order, one after the other.
  static std::vector<std::string> model(const std::vector<std::string>& files, const std::vector<std::string>& order) {
    std::vector<std::string> out;
    for (const std::string& name : order) {
      const auto k = static_cast<std::size_t>(std::find(files.begin(), files.end(), name) - files.begin());
      for (std::size_t i = 0; i < kCounts[k]; ++i) out.push_back(shard_payload(k, i));
    }
    return out;
  }
  // Entries index, index + num_workers, ... of `all`.
  template <typename T>
  static std::vector<T> every_kth(const std::vector<T>& all, std::int64_t num_workers, std::int64_t index) {
    std::vector<T> out;
    for (auto i = static_cast<std::size_t>(index); i < all.size(); i += static_cast<std::size_t>(num_workers)) {
      out.push_back(all[i]);
    }
    return out;
  }
  static void expect_each_once(std::vector<std::string> got, std::vector<std::string> all) {
    std::sort(got.begin(), got.end());
    std::sort(all.begin(), all.end());
    EXPECT_EQ(got, all);
  }
  // Worker index of `workers` reads expected(index) and knows its count; together the
  // workers read `all`, each record once.
  static void expect_shares(const Dataset& ds, std::int64_t workers, AutoShardPolicy policy, AutoShardPolicy applied,
                            const std::function<std::vector<std::string>(std::int64_t)>& expected,
                            const std::vector<std::string>& all) {
    std::vector<std::string> seen;
    for (std::int64_t index = 0; index < workers; ++index) {
      SCOPED_TRACE(std::to_string(index) + " of " + std::to_string(workers));
      const AutoShard mine = auto_shard(ds, workers, index, policy);
      EXPECT_EQ(mine.applied, applied);
      const std::vector<std::string> got = records_of(mine.dataset);
      EXPECT_EQ(got, expected(index));
      const std::int64_t cardinality = mine.dataset.cardinality();
      if (cardinality != kUnknownCardinality) {
        EXPECT_EQ(cardinality, static_cast<std::int64_t>(got.size()));
      }
      seen.insert(seen.end(), got.begin(), got.end());
    }
    expect_each_once(seen, all);
  }
  static std::string message_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const InvalidArgument& e) {
      return e.what();
    }
    return "(no InvalidArgument)";
  }

  TempDir dir_;
};

TEST_F(AutoShardTest, FileGivesEachWorkerEveryKthFileAndEveryRecordOnce) {
  const std::vector<std::string> files = write_files();
  const Dataset ds = TFRecordDataset(files);
  ASSERT_EQ(ds.cardinality(), 15);
  for (std::int64_t workers : {2, 3}) {
    expect_shares(
        ds, workers, AutoShardPolicy::kFile, AutoShardPolicy::kFile,
        [&](std::int64_t index) { return model(files, every_kth(files, workers, index)); }, records_of(ds));
    // The indexes of the worker's files count its records.
    EXPECT_EQ(auto_shard(ds, workers, 1, AutoShardPolicy::kFile).dataset.cardinality(),
              workers == 2 ? 1 + 2 : 1 + 5);
  }
  EXPECT_EQ(auto_shard(ds, 2, 0, AutoShardPolicy::kFile).reason,
            "FILE: 5 files of file_names (read by tfrecord) over 2 workers, 2 or 3 each");
  EXPECT_EQ(auto_shard(TFRecordDataset({files[0], files[1], files[2], files[3]}), 2, 1).reason,
            "FILE: 4 files of file_names (read by tfrecord) over 2 workers, 2 each");
}

TEST_F(AutoShardTest, DataKeepsEveryKthElementOfTheWholeStream) {
  const std::vector<std::string> files = write_files();
  const Dataset ds = TFRecordDataset(files, {}, /*num_parallel_reads=*/2);
  const std::vector<std::string> all = records_of(ds);
  for (std::int64_t workers : {2, 3}) {
    expect_shares(
        ds, workers, AutoShardPolicy::kData, AutoShardPolicy::kData,
        [&](std::int64_t index) { return every_kth(all, workers, index); }, all);
    EXPECT_EQ(auto_shard(ds, workers, 0, AutoShardPolicy::kData).dataset.cardinality(), workers == 2 ? 8 : 5);
  }
  EXPECT_EQ(auto_shard(ds, 2, 0, AutoShardPolicy::kData).reason, "DATA: as asked");
}

TEST_F(AutoShardTest, SeededShuffledListFilesSplitsEachPassesOrderAmongWorkers) {
  const std::vector<std::string> files = write_files();
  const std::string pattern = dir_.file("part-*.tfrecord");
  const Dataset ds = TFRecordDataset(list_files(pattern, /*shuffle=*/true, /*seed=*/7));
  // The order the list visits in iterations 0 and 1, from a list of its own.
  std::vector<std::vector<std::string>> orders;
  for (std::uint64_t iteration : {0, 1}) {
    Iterator it = list_files(pattern, true, 7).make_iterator_at(iteration);
    orders.push_back(records_of(drain(it)));
  }
  ASSERT_NE(orders[0], orders[1]) << "pick a seed whose first two orders differ";
  for (std::int64_t workers : {2, 3}) {
    // Each worker's result is its own pipeline (as on its own machine): its first
    // iterator reads iteration 0, its second iteration 1.
    std::vector<AutoShard> shares;
    for (std::int64_t index = 0; index < workers; ++index) shares.push_back(auto_shard(ds, workers, index));
    for (std::size_t pass = 0; pass < 2; ++pass) {
      std::vector<std::string> seen;
      for (std::int64_t index = 0; index < workers; ++index) {
        SCOPED_TRACE("pass " + std::to_string(pass) + ", " + std::to_string(index) + " of " + std::to_string(workers));
        const AutoShard& mine = shares[static_cast<std::size_t>(index)];
        EXPECT_EQ(mine.applied, AutoShardPolicy::kFile);
        const std::vector<std::string> got = records_of(mine.dataset);
        EXPECT_EQ(got, model(files, every_kth(orders[pass], workers, index)));
        seen.insert(seen.end(), got.begin(), got.end());
      }
      expect_each_once(seen, model(files, files));
    }
  }
}

TEST_F(AutoShardTest, UnseededShuffledListIsAnErrorForFileAndAuto) {
  write_files();
  const Dataset ds = TFRecordDataset(list_files(dir_.file("part-*.tfrecord"), /*shuffle=*/true));
  for (AutoShardPolicy policy : {AutoShardPolicy::kFile, AutoShardPolicy::kAuto}) {
    EXPECT_EQ(message_of([&] { auto_shard(ds, 2, 0, policy); }),
              "auto_shard: 5 files of file_names (read by tfrecord) shuffles them without a seed, so each worker would "
              "draw its own order and read some files twice and others never; give the list a seed "
              "(list_files(pattern, true, seed), ImageFolderOptions().seed(s)) or do not shuffle it");
  }
  EXPECT_EQ(auto_shard(ds, 2, 0, AutoShardPolicy::kData).applied, AutoShardPolicy::kData);
}

TEST_F(AutoShardTest, MapAndBatchDownstreamSeeTheValuesOfTheWorkersFiles) {
  const std::vector<std::string> files = write_files();
  // Record "f<k>-r<ii>" -> k * 100 + ii, then batches of 2.
  const auto number = [](Element e) {
    const std::string_view r = e[0].as_string_view();
    return Element{Tensor::scalar<std::int64_t>((r[1] - '0') * 100 + (r[4] - '0') * 10 + (r[5] - '0'))};
  };
  const auto pipeline = [&](const Dataset& records) {
    return records.map(number, MapOptions().parallelism(2)).batch(2).prefetch(2);
  };
  const Dataset ds = pipeline(TFRecordDataset(files));
  const std::vector<Element> unsharded = drain(ds.unbatch());
  for (std::int64_t workers : {2, 3}) {
    for (std::int64_t index = 0; index < workers; ++index) {
      SCOPED_TRACE(std::to_string(index) + " of " + std::to_string(workers));
      const AutoShard mine = auto_shard(ds, workers, index, AutoShardPolicy::kFile);
      const std::vector<std::string> my_files = every_kth(files, workers, index);
      // The batches the same pipeline makes over the worker's files alone...
      const std::vector<Element> got = drain(mine.dataset);
      const std::vector<Element> expected = drain(pipeline(TFRecordDataset(my_files)));
      ASSERT_EQ(got.size(), expected.size());
      for (std::size_t b = 0; b < got.size(); ++b) {
        EXPECT_EQ(got[b][0].to_vector<std::int64_t>(), expected[b][0].to_vector<std::int64_t>()) << "batch " << b;
      }
      EXPECT_EQ(mine.dataset.cardinality(), static_cast<std::int64_t>(expected.size()));
      // ... whose values are the unsharded pipeline's restricted to those files.
      std::vector<std::int64_t> values, restricted;
      for (const Element& batch : got) {
        for (std::int64_t v : batch[0].to_vector<std::int64_t>()) values.push_back(v);
      }
      for (const Element& e : unsharded) {
        const std::int64_t v = e[0].item<std::int64_t>();
        const std::size_t file = static_cast<std::size_t>(v / 100);
        if (std::find(my_files.begin(), my_files.end(), files[file]) != my_files.end()) restricted.push_back(v);
      }
      EXPECT_EQ(values, restricted);
    }
  }
}

TEST_F(AutoShardTest, AutoShardsByFileWhenEachWorkerGetsAFileElseByData) {
  const std::vector<std::string> files = write_files();
  const AutoShard by_file = auto_shard(TFRecordDataset(files), 3, 2);
  EXPECT_EQ(by_file.applied, AutoShardPolicy::kFile);
  EXPECT_EQ(by_file.reason, "FILE: 5 files of file_names (read by tfrecord) over 3 workers, 1 or 2 each");
  EXPECT_EQ(records_of(by_file.dataset), model(files, {files[2]}));

  const Dataset one_file = TFRecordDataset({files[4]});
  const AutoShard by_data = auto_shard(one_file, 2, 1);
  EXPECT_EQ(by_data.applied, AutoShardPolicy::kData);
  EXPECT_EQ(by_data.reason, "DATA: 1 file of file_names (read by tfrecord) for 2 workers");
  EXPECT_EQ(records_of(by_data.dataset), (std::vector<std::string>{"f4-r01", "f4-r03"}));
  EXPECT_EQ(by_data.dataset.cardinality(), 2);

  const AutoShard no_files = auto_shard(Dataset::range(10).batch(2), 3, 1);
  EXPECT_EQ(no_files.applied, AutoShardPolicy::kData);
  EXPECT_EQ(no_files.reason,
            "DATA: no list of files (list_files, file_names, a TFRecordDataset's files, ImageFolderDataset) among "
            "the 2 stages of the pipeline");
  const std::vector<Element> batches = drain(no_files.dataset);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0][0].to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(batches[1][0].to_vector<std::int64_t>(), (std::vector<std::int64_t>{8, 9}));
  EXPECT_EQ(no_files.dataset.cardinality(), 2);
}

TEST_F(AutoShardTest, FileWithTooFewFilesOrNoListIsAnError) {
  const std::vector<std::string> files = write_files(2);
  EXPECT_EQ(message_of([&] { auto_shard(TFRecordDataset(files), 3, 0, AutoShardPolicy::kFile); }),
            "auto_shard: cannot shard by FILE: 2 files of file_names (read by tfrecord) for 3 workers (each worker "
            "needs files of its own; DATA shards the elements)");
  EXPECT_EQ(message_of([&] { auto_shard(Dataset::range(4), 2, 0, AutoShardPolicy::kFile); }),
            "auto_shard: cannot shard by FILE: no list of files (list_files, file_names, a TFRecordDataset's files, "
            "ImageFolderDataset) among the 1 stages of the pipeline (each worker needs files of its own; DATA shards "
            "the elements)");
  EXPECT_EQ(message_of([&] { auto_shard(Dataset::range(4), 2, 2); }),
            "auto_shard: worker index 2 out of range [0, 2)");
  EXPECT_EQ(message_of([&] { auto_shard(Dataset::range(4), 0, 0); }), "auto_shard: num_workers must be >= 1, got 0");
}

TEST_F(AutoShardTest, OffAndASingleWorkerLeaveTheDatasetAsItIs) {
  const Dataset ds = TFRecordDataset(write_files());
  const AutoShard off = auto_shard(ds, 4, 1, AutoShardPolicy::kOff);
  EXPECT_EQ(off.applied, AutoShardPolicy::kOff);
  EXPECT_EQ(off.dataset.node(), ds.node());
  const AutoShard alone = auto_shard(ds, 1, 0, AutoShardPolicy::kFile);
  EXPECT_EQ(alone.applied, AutoShardPolicy::kOff);
  EXPECT_EQ(alone.reason, "OFF: 1 worker");
  EXPECT_EQ(alone.dataset.node(), ds.node());
}

TEST_F(AutoShardTest, InterleaveOverListFilesShardsTheList) {
  const std::vector<std::string> files = write_files();
  const auto read = [](const Element& name) { return TFRecordDataset({std::string(name[0].as_string_view())}); };
  const Dataset ds = list_files(dir_.file("part-*.tfrecord"), /*shuffle=*/false)
                         .interleave(read, InterleaveOptions().cycle_length(1));
  expect_shares(
      ds, 2, AutoShardPolicy::kAuto, AutoShardPolicy::kFile,
      [&](std::int64_t index) { return model(files, every_kth(files, 2, index)); }, records_of(ds));
}

TEST_F(AutoShardTest, ImageFolderShardsItsFiles) {
  for (const char* name : {"cats/a.png", "cats/b.png", "cats/c.png", "dogs/d.png", "dogs/e.png"}) {
    const std::filesystem::path path = dir_.path() / name;
    std::filesystem::create_directories(path.parent_path());
    spool::testing::write_file(path.string(), name);
  }
  const auto paths_of = [](const Dataset& ds) {
    std::vector<std::string> out;
    for (const Element& e : drain(ds)) out.emplace_back(e[2].as_string_view());
    return out;
  };
  for (bool shuffle : {false, true}) {
    SCOPED_TRACE(shuffle ? "shuffled" : "in order");
    const Dataset ds = ImageFolderDataset(dir_.path().string(), ImageFolderOptions().shuffle(shuffle).seed(3));
    const std::vector<std::string> all = paths_of(ds);  // the first pass, of a list of its own
    std::vector<std::string> seen;
    for (std::int64_t index = 0; index < 2; ++index) {
      const AutoShard mine = auto_shard(ds, 2, index);
      EXPECT_EQ(mine.applied, AutoShardPolicy::kFile);
      EXPECT_EQ(mine.reason, "FILE: 5 files of image_folder over 2 workers, 2 or 3 each");
      const std::vector<std::string> got = paths_of(mine.dataset);
      EXPECT_EQ(got, every_kth(all, 2, index));
      EXPECT_EQ(mine.dataset.cardinality(), static_cast<std::int64_t>(got.size()));
      seen.insert(seen.end(), got.begin(), got.end());
    }
    expect_each_once(seen, all);
  }
  EXPECT_THROW(auto_shard(ImageFolderDataset(dir_.path().string()), 2, 0), InvalidArgument);  // shuffled, no seed
}

}  // namespace
}  // namespace spool::data
