#include "common/time_util.h"

#include <gtest/gtest.h>

namespace dbaudit {
namespace {

TEST(TimeUtilTest, FormatsMicroseconds) {
  EXPECT_EQ(FormatTimestampUs(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestampUs(1705329138123456), "2024-01-15T14:32:18.123456Z");
  EXPECT_EQ(FormatTimestampSeconds(1705329138123456), "2024-01-15T14:32:18Z");
  EXPECT_EQ(FormatTimestampSpace(1713775562000000), "2024-04-22 08:46:02");
}

TEST(TimeUtilTest, ParsesIso8601Forms) {
  EXPECT_EQ(ParseIso8601Us("2024-01-15T14:32:18Z"), 1705329138000000);
  EXPECT_EQ(ParseIso8601Us("2024-01-15T14:32:18.5Z"), 1705329138500000);
  EXPECT_EQ(ParseIso8601Us("2024-01-15T16:32:18+02:00"), 1705329138000000);
  EXPECT_EQ(ParseIso8601Us("2024-01-15"), 1705276800000000);
  EXPECT_EQ(ParseIso8601Us("2024-02-29T00:00:00Z"), 1709164800000000);
}

TEST(TimeUtilTest, RejectsMalformedTimestamps) {
  for (const char* bad : {"", "2024", "2024-13-01", "2023-02-29", "2024-01-15T25:00:00Z",
                          "2024-01-15T14:32:18X", "2024-01-15T14:32", "yesterday", "2024-01-15T14:32:18."}) {
    EXPECT_FALSE(ParseIso8601Us(bad).has_value()) << bad;
  }
  EXPECT_EQ(ParseSpaceTimestampUs("2024-04-22 08:46:02"), 1713775562000000);
  EXPECT_FALSE(ParseSpaceTimestampUs("2024-04-22T08:46:02").has_value());
  EXPECT_FALSE(ParseSpaceTimestampUs("2024-04-22 08:46").has_value());
}

TEST(TimeUtilTest, RoundTripsThroughFormat) {
  for (int64_t ts : {int64_t{0}, int64_t{951782400000001}, int64_t{4102444799999999}}) {
    EXPECT_EQ(ParseIso8601Us(FormatTimestampUs(ts)), ts);
  }
}

}  // namespace
}  // namespace dbaudit
