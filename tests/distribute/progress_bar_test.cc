#include "spool/distribute/progress_bar.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

namespace spool::distribute {
namespace {

TEST(ProgressBar, DrawsKerasStyleLines) {
  std::ostringstream out;
  ProgressBar bar(out, 10, ProgressBar::Mode::kPlain);
  const std::string half = bar.line(5, {{"loss", 0.5}, {"accuracy", 0.25}});
  EXPECT_EQ(half.substr(0, 7), " 5/10 [");
  EXPECT_NE(half.find("[==============>...............]"), std::string::npos) << half;
  EXPECT_NE(half.find(" - ETA: "), std::string::npos) << half;
  EXPECT_NE(half.find(" - loss: 0.5000 - accuracy: 0.2500"), std::string::npos) << half;
  const std::string done = bar.line(10, {});
  EXPECT_NE(done.find("10/10 [==============================]"), std::string::npos) << done;
  EXPECT_EQ(done.find("ETA"), std::string::npos) << done;
}

TEST(ProgressBar, PlainModeWritesOneLinePerEpochAndNothingWhileItRuns) {
  std::ostringstream out;
  ProgressBar bar(out, 4, ProgressBar::Mode::kPlain);
  for (int step = 1; step <= 4; ++step) bar.update(step, {{"loss", 1.0 / step}});
  EXPECT_EQ(out.str(), "");
  bar.finish({{"loss", 0.25}, {"val_loss", 0.5}});
  const std::string s = out.str();
  EXPECT_EQ(s.find('\r'), std::string::npos);
  EXPECT_EQ(s.back(), '\n');
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 1);
  EXPECT_NE(s.find("4/4 ["), std::string::npos);
  EXPECT_NE(s.find("val_loss: 0.5000"), std::string::npos);
}

TEST(ProgressBar, TerminalModeRedrawsInPlace) {
  std::ostringstream out;
  ProgressBar bar(out, 3, ProgressBar::Mode::kTerminal);
  bar.update(1, {{"loss", 2.0}});
  bar.update(3, {{"loss", 1.0}});  // the last step is always drawn
  bar.finish({{"loss", 1.0}});
  const std::string s = out.str();
  EXPECT_EQ(s.front(), '\r');
  EXPECT_GE(std::count(s.begin(), s.end(), '\r'), 3);
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 1);
  EXPECT_NE(s.find("loss: 2.0000"), std::string::npos);
}

TEST(ProgressBar, SilentModeWritesNothingAndUnknownLengthsCount) {
  std::ostringstream out;
  ProgressBar silent(out, 3, ProgressBar::Mode::kSilent);
  silent.update(3, {});
  silent.finish({});
  EXPECT_EQ(out.str(), "");
  ProgressBar open_ended(out, -1, ProgressBar::Mode::kPlain);
  EXPECT_EQ(open_ended.line(7, {}).substr(0, 8), "7 steps ");
}

}  // namespace
}  // namespace spool::distribute
