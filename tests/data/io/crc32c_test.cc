#include "spool/data/io/crc32c.h"

#include <gtest/gtest.h>

namespace spool::data {
namespace {

TEST(Crc32cTest, MaskRoundTrips) {
  for (std::uint32_t c : {0u, 1u, 0xE3069283u, 0xffffffffu}) EXPECT_EQ(unmask_crc(mask_crc(c)), c);
}

}  // namespace
}  // namespace spool::data
