// glob_files, list_files and file_names: sorted matches, seeded per-epoch shuffles,
// the no-match error, and exact resumption.
#include <gtest/gtest.h>

#include <algorithm>

#include "data/pipeline_test_util.h"
#include "spool/data/sources/list_files.h"
#include "test_support.h"

namespace spool::data {
namespace {

using spool::testing::TempDir;

std::vector<std::string> names_of(const std::vector<Element>& elements) {
  std::vector<std::string> out;
  for (const Element& e : elements) out.emplace_back(e[0].as_string_view());
  return out;
}

std::vector<std::string> names_of(const Dataset& ds) { return names_of(spool::testing::drain(ds)); }

class ListFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"b-1.rec", "a-2.rec", "a-10.rec", "c.txt", "B-0.rec"}) {
      spool::testing::write_file(dir_.file(name), name);
    }
    std::filesystem::create_directory(dir_.path() / "sub");
    spool::testing::write_file(dir_.file("sub/d-3.rec"), "d");
  }
  std::string pattern(const std::string& glob) const { return dir_.file(glob); }
  std::vector<std::string> paths(const std::vector<std::string>& names) const {
    std::vector<std::string> out;
    for (const auto& n : names) out.push_back(dir_.file(n));
    return out;
  }
  TempDir dir_;
};

TEST_F(ListFilesTest, GlobSortsMatchesInByteOrder) {
  EXPECT_EQ(glob_files(pattern("*.rec")), paths({"B-0.rec", "a-10.rec", "a-2.rec", "b-1.rec"}));
  EXPECT_EQ(glob_files(pattern("[ab]-?.rec")), paths({"a-2.rec", "b-1.rec"}));
  EXPECT_EQ(glob_files(pattern("*/d-*.rec")), paths({"sub/d-3.rec"}));
}

TEST_F(ListFilesTest, NoMatchIsAnErrorNamingThePattern) {
  try {
    glob_files(pattern("*.tfrecord"));
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), "list_files: no files match '" + pattern("*.tfrecord") + "'");
  }
  EXPECT_THROW(list_files(pattern("nothing-*"), false), IoError);
}

TEST_F(ListFilesTest, UnshuffledListIsSortedWithKnownCardinality) {
  Dataset ds = list_files(pattern("*.rec"), /*shuffle=*/false);
  EXPECT_EQ(ds.cardinality(), 4);
  EXPECT_EQ(names_of(ds), glob_files(pattern("*.rec")));
}

TEST_F(ListFilesTest, SeededShuffleIsAPermutationFixedPerEpochAndNewEachEpoch) {
  const std::vector<std::string> sorted = glob_files(pattern("*"));
  Dataset ds = list_files(pattern("*"), /*shuffle=*/true, /*seed=*/7);
  const std::vector<std::string> first = names_of(ds);
  EXPECT_EQ(first, names_of(list_files(pattern("*"), true, 7)));  // same seed, same order
  std::vector<std::string> sorted_first = first;
  std::sort(sorted_first.begin(), sorted_first.end());
  EXPECT_EQ(sorted_first, sorted);
  // Over a few epochs the orders differ (6 files: 720 orders), and each is a permutation.
  const std::vector<std::string> epochs = names_of(list_files(pattern("*"), true, 7).repeat(4));
  ASSERT_EQ(epochs.size(), 4 * sorted.size());
  std::vector<std::vector<std::string>> orders;
  for (std::size_t k = 0; k < 4; ++k) {
    orders.emplace_back(epochs.begin() + static_cast<std::ptrdiff_t>(k * sorted.size()),
                        epochs.begin() + static_cast<std::ptrdiff_t>((k + 1) * sorted.size()));
  }
  EXPECT_EQ(orders[0], first);
  EXPECT_FALSE(orders[0] == orders[1] && orders[1] == orders[2] && orders[2] == orders[3]);
}

TEST_F(ListFilesTest, EveryNewIteratorReshufflesAsTfDataDoes) {
  Dataset ds = list_files(pattern("*"), /*shuffle=*/true, /*seed=*/7);
  std::vector<std::vector<std::string>> passes;
  for (int k = 0; k < 4; ++k) passes.push_back(names_of(ds));
  EXPECT_FALSE(passes[0] == passes[1] && passes[1] == passes[2] && passes[2] == passes[3]);
  Dataset again = list_files(pattern("*"), true, 7);  // built alike: the same sequence
  for (int k = 0; k < 4; ++k) EXPECT_EQ(names_of(again), passes[static_cast<std::size_t>(k)]) << "iterator " << k;
  // Unshuffled lists keep their order.
  Dataset sorted = list_files(pattern("*"), false);
  EXPECT_EQ(names_of(sorted), names_of(sorted));
}

TEST_F(ListFilesTest, ResumesExactlyShuffledSeededOrNot) {
  Dataset seeded = list_files(pattern("*"), true, 3).repeat(2);
  spool::testing::expect_resumes_exactly(seeded, spool::testing::all_cuts(seeded));
  // In a dataset built anew, from an iterator past the first (its iteration is saved).
  const auto second_iterator = [&] {
    Dataset ds = list_files(pattern("*"), true, 3).repeat(2);
    spool::testing::drain(ds);
    return ds;
  };
  spool::testing::expect_resumes_exactly(second_iterator, spool::testing::all_cuts(seeded));
  // Without a seed the drawn seed is part of the state, so a resumed pass continues the same order.
  Dataset unseeded = list_files(pattern("*"), true);
  Iterator it = unseeded.make_iterator();
  std::vector<std::string> head = names_of(spool::testing::drain(it, 2));
  Iterator resumed = unseeded.make_iterator(IteratorState::from_bytes(it.save().bytes()));
  std::vector<std::string> rest = names_of(spool::testing::drain(resumed));
  EXPECT_EQ(rest, names_of(spool::testing::drain(it)));
  EXPECT_EQ(head.size() + rest.size(), 6u);
}

TEST(FileNames, YieldsTheGivenNamesInOrder) {
  Dataset ds = file_names({"z", "a", "m"});
  EXPECT_EQ(ds.cardinality(), 3);
  EXPECT_EQ(names_of(ds), (std::vector<std::string>{"z", "a", "m"}));
  spool::testing::expect_resumes_exactly(ds, spool::testing::all_cuts(ds));
}

}  // namespace
}  // namespace spool::data
