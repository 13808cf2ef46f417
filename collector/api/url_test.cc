#include "collector/api/url.h"

#include <gtest/gtest.h>

#include "common/status_test_util.h"

namespace dbaudit::collector::api {
namespace {

TEST(UrlTest, SplitsPathAndDecodesQuery) {
  auto t = ParseTarget("/v1/events?type=security.*&user=app%20user&q=a+b&empty=&flag");
  ASSERT_OK(t);
  EXPECT_EQ(t->path, "/v1/events");
  EXPECT_EQ(t->segments, (std::vector<std::string>{"v1", "events"}));
  ASSERT_EQ(t->query.size(), 5u);
  EXPECT_EQ(t->query[0], (std::pair<std::string, std::string>{"type", "security.*"}));
  EXPECT_EQ(t->query[1].second, "app user");
  EXPECT_EQ(t->query[2].second, "a b");
  EXPECT_EQ(t->query[3].second, "");
  EXPECT_EQ(t->query[4].first, "flag");
}

TEST(UrlTest, SegmentsAreDecodedAndEmptyOnesDropped) {
  auto t = ParseTarget("//v1/events/evt_%61bc/");
  ASSERT_OK(t);
  EXPECT_EQ(t->segments, (std::vector<std::string>{"v1", "events", "evt_abc"}));
  EXPECT_EQ(t->path, "/v1/events/evt_abc");
  EXPECT_EQ(ParseTarget("/")->path, "/");
}

TEST(UrlTest, RejectsBadEscapesAndRelativeTargets) {
  EXPECT_FALSE(ParseTarget("/v1/events?x=%zz").ok());
  EXPECT_FALSE(ParseTarget("/v1/events?x=%4").ok());
  EXPECT_FALSE(ParseTarget("/v1/%").ok());
  EXPECT_FALSE(ParseTarget("v1/events").ok());
  EXPECT_FALSE(ParseTarget("").ok());
  EXPECT_EQ(*PercentDecode("%2B+", false), "++");
}

TEST(UrlTest, SplitHostPort) {
  EXPECT_EQ(*SplitHostPort("127.0.0.1:7480"), (std::pair<std::string, int>{"127.0.0.1", 7480}));
  EXPECT_EQ(*SplitHostPort("[::1]:0"), (std::pair<std::string, int>{"::1", 0}));
  EXPECT_EQ(*SplitHostPort("localhost:65535"), (std::pair<std::string, int>{"localhost", 65535}));
  EXPECT_FALSE(SplitHostPort("127.0.0.1").ok());
  EXPECT_FALSE(SplitHostPort(":80").ok());
  EXPECT_FALSE(SplitHostPort("::1:80").ok());
  EXPECT_FALSE(SplitHostPort("host:65536").ok());
  EXPECT_FALSE(SplitHostPort("host:8x").ok());
  EXPECT_FALSE(SplitHostPort("host:").ok());
}

}  // namespace
}  // namespace dbaudit::collector::api
