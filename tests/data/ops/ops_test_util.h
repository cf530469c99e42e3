// Helpers for the stage tests under tests/data/ops.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/pipeline_test_util.h"

namespace spool::testing {

// Runs `fn` and checks that it throws exactly ErrorType with exactly `message`.
template <typename ErrorType, typename Fn>
void expect_error(Fn&& fn, const std::string& message) {
  try {
    fn();
    ADD_FAILURE() << "expected an error: " << message;
  } catch (const ErrorType& error) {
    EXPECT_STREQ(error.what(), message.c_str());
  }
}

// Component 0 of every element of one pass, as i64 vectors: batches or windows of a range.
inline std::vector<std::vector<std::int64_t>> rows(const data::Dataset& ds) {
  std::vector<std::vector<std::int64_t>> out;
  for (const data::Element& e : drain(ds)) out.push_back(e[0].to_vector<std::int64_t>());
  return out;
}

}  // namespace spool::testing
