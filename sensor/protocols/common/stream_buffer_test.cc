#include "sensor/protocols/common/stream_buffer.h"

#include <gtest/gtest.h>

#include <string>

namespace dbaudit::sensor::protocols {
namespace {

absl::Span<const uint8_t> S(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(StreamBufferTest, PassesThroughWhenNothingIsHeld) {
  StreamBuffer buf(16);
  std::string in = "abcdef";
  absl::Span<const uint8_t> view;
  ASSERT_TRUE(buf.Append(S(in), &view));
  EXPECT_EQ(view.data(), S(in).data());  // no copy
  buf.Keep(view, 4);
  EXPECT_EQ(buf.held(), 2u);
  std::string more = "gh";
  ASSERT_TRUE(buf.Append(S(more), &view));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(view.data()), view.size()), "efgh");
  buf.Keep(view, 1);
  EXPECT_EQ(buf.held(), 3u);
  ASSERT_TRUE(buf.Append(S(std::string("i")), &view));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(view.data()), view.size()), "fghi");
}

TEST(StreamBufferTest, RefusesToGrowPastTheCap) {
  StreamBuffer buf(8);
  std::string in = "12345";
  absl::Span<const uint8_t> view;
  ASSERT_TRUE(buf.Append(S(in), &view));
  buf.Keep(view, 0);
  EXPECT_FALSE(buf.Append(S(std::string("6789")), &view));
  EXPECT_EQ(buf.held(), 0u);
}

}  // namespace
}  // namespace dbaudit::sensor::protocols
