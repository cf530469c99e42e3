// EpochLogs: values by logged name, the names in column order, and an unknown name
// refused with the names there are.
#include "spool/distribute/epoch_logs.h"

#include <gtest/gtest.h>

#include "spool/tensor/error.h"

namespace spool::distribute {
namespace {

TEST(EpochLogsTest, ValuesByNameInColumnOrder) {
  EpochLogs logs;
  logs.loss = 0.5;
  logs.metrics = {{"accuracy", 0.75}, {"auc", 0.9}};
  logs.val_loss = 0.625;
  logs.val_metrics = {{"val_accuracy", 0.5}, {"val_auc", 0.875}};
  EXPECT_EQ(logs.names(), (std::vector<std::string>{"loss", "accuracy", "auc", "val_loss", "val_accuracy", "val_auc"}));
  EXPECT_EQ(logs.value("loss"), 0.5);
  EXPECT_EQ(logs.value("auc"), 0.9);
  EXPECT_EQ(logs.value("val_loss"), 0.625);
  EXPECT_EQ(logs.value("val_auc"), 0.875);
  EXPECT_TRUE(logs.has("val_accuracy"));
  EXPECT_FALSE(logs.has("precision"));
  try {
    logs.value("precision");
    FAIL() << "a value for a name never logged";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(std::string(e.what()),
              "no logged value named 'precision'; logged: loss, accuracy, auc, val_loss, val_accuracy, val_auc");
  }
}

}  // namespace
}  // namespace spool::distribute
