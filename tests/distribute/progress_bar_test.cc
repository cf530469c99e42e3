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

ProgressBar::Options throughput(ProgressBar::Mode mode) {
  return ProgressBar::Options().mode(mode).style(ProgressBar::Style::kThroughput).unit("images");
}

TEST(ProgressBar, ThroughputStyleDrawsACountAndARate) {
  std::ostringstream out;
  ProgressBar bar(out, 1027, throughput(ProgressBar::Mode::kTerminal));
  const std::string s = bar.line(412, {});
  EXPECT_EQ(s.rfind("[############..................] 412/1027  40% ", 0), 0u) << s;
  EXPECT_EQ(s.substr(s.size() - 10), " images/s ") << s;
  EXPECT_EQ(bar.line(1027, {}).rfind("[##############################] 1027/1027 100% ", 0), 0u);
  ProgressBar empty(out, 0, throughput(ProgressBar::Mode::kTerminal));
  EXPECT_EQ(empty.line(0, {}).rfind("[..............................] 0/1   0% 0 images/s ", 0), 0u);
}

TEST(ProgressBar, ThroughputStyleIsErasedAndWritesNothingOffATerminal) {
  std::ostringstream out;
  {
    ProgressBar bar(out, 4, throughput(ProgressBar::Mode::kTerminal));
    bar.update(1);
    bar.clear();  // room for a message
    bar.update(3);  // drawn again at once
    bar.update(4);  // the last step is always drawn
    bar.finish();
    bar.finish();  // idempotent
  }
  const std::string s = out.str();
  EXPECT_EQ(s.find('\n'), std::string::npos) << "a transient bar never ends a line";
  EXPECT_EQ(std::count(s.begin(), s.end(), '\r'), 5) << s;  // 3 draws, 2 erasures
  EXPECT_NE(s.find("] 3/4  75% "), std::string::npos) << s;
  EXPECT_NE(s.find("] 4/4 100% "), std::string::npos) << s;
  EXPECT_EQ(s.substr(s.size() - 4), "\r\x1b[K");
  std::ostringstream plain_out;
  {
    ProgressBar plain(plain_out, 4, throughput(ProgressBar::Mode::kPlain));
    plain.update(4);
    plain.finish();
    ProgressBar destroyed(plain_out, 4, throughput(ProgressBar::Mode::kAuto));  // a stringstream: no terminal
    destroyed.update(1);
  }
  EXPECT_EQ(plain_out.str(), "");
}

TEST(ProgressBar, ThroughputStyleErasesItselfWhenDestroyedMidway) {
  std::ostringstream out;
  {
    ProgressBar bar(out, 10, throughput(ProgressBar::Mode::kTerminal));
    bar.update(3);
  }
  EXPECT_EQ(out.str().substr(out.str().size() - 4), "\r\x1b[K");
}

TEST(ProgressBar, KerasLineCanBeClearedForAMessage) {
  std::ostringstream out;
  ProgressBar bar(out, 3, ProgressBar::Mode::kTerminal);
  bar.clear();  // nothing drawn yet: nothing to erase
  EXPECT_EQ(out.str(), "");
  bar.update(1, {{"loss", 2.0}});
  bar.clear();
  EXPECT_EQ(out.str().substr(out.str().size() - 4), "\r\x1b[K");
  bar.update(2, {{"loss", 1.5}});  // drawn again at once
  EXPECT_NE(out.str().find("2/3 ["), std::string::npos) << out.str();
}

}  // namespace
}  // namespace spool::distribute
