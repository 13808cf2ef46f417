// Bad input never crashes: random bytes and random mutations of valid inputs through every
// parser the API exposes to the network (a cheap loop; the fuzz targets go deeper).
#include <gtest/gtest.h>

#include <random>

#include "collector/api/events_handler.h"
#include "collector/api/sqls_handler.h"
#include "collector/api/url.h"

namespace dbaudit::collector::api {
namespace {

std::string Mutate(std::string s, std::mt19937& rng) {
  std::uniform_int_distribution<int> byte(0, 255);
  const int edits = 1 + static_cast<int>(rng() % 8);
  for (int i = 0; i < edits && !s.empty(); ++i) {
    const size_t at = rng() % s.size();
    switch (rng() % 3) {
      case 0: s[at] = static_cast<char>(byte(rng)); break;
      case 1: s.erase(at, 1 + rng() % 4); break;
      default: s.insert(at, 1, static_cast<char>(byte(rng))); break;
    }
  }
  return s;
}

TEST(RobustnessTest, SqlsBodyParserSurvivesMutations) {
  const std::string valid = R"({"time":{"time_range":null,"start_time":"2024-04-22 08:00:00","end_time":"2024-04-22 09:00:00"},)"
                            R"("risk_levels":["HIGH","LOW"],"client_ip":"::1","db_user":"root","query_type":"CREATE TABLE",)"
                            R"("sql_response":"SUCCESS","page":1,"size":50,"time_order":"DESC"})";
  ASSERT_TRUE(std::holds_alternative<SqlListRequest>(ParseSqlListBody(valid, 0)));
  std::mt19937 rng(1234);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    auto result = ParseSqlListBody(Mutate(valid, rng), 1700000000000000);
    if (std::holds_alternative<SqlListRequest>(result)) {
      ++accepted;
    } else {
      EXPECT_EQ(std::get<DbssParseError>(result).error_code.substr(0, 5), "DBSS.");
    }
  }
  EXPECT_GT(accepted, 0);  // some mutations (inside string values) stay valid
}

TEST(RobustnessTest, RandomBytesEverywhere) {
  std::mt19937 rng(99);
  for (int i = 0; i < 20000; ++i) {
    std::string junk(rng() % 64, '\0');
    for (char& c : junk) c = static_cast<char>(rng() % 256);
    auto sqls = ParseSqlListBody(junk, 0);
    EXPECT_TRUE(std::holds_alternative<DbssParseError>(sqls) || junk.find('{') != std::string::npos);
    auto target = ParseTarget("/" + junk);
    if (target.ok()) (void)ParseEventListQuery(target->query);
    (void)SplitHostPort(junk);
  }
}

TEST(RobustnessTest, EventQueryMutations) {
  const std::string valid = "/v1/events?type=security.*&severity=critical&limit=100&page=2&start_date=2025-01-01T00:00:00Z"
                            "&end_date=2025-01-31T23:59:59Z&user=app&source_ip=10.0.0.1&database_id=db_abc";
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    auto target = ParseTarget(Mutate(valid, rng));
    if (!target.ok()) continue;
    auto parsed = ParseEventListQuery(target->query);
    if (parsed.ok()) {
      EXPECT_GE(parsed->page.per_page, 1u);
      EXPECT_LE(parsed->page.per_page, kMaxEventLimit);
      EXPECT_GE(parsed->page.page, 1u);
    }
  }
}

}  // namespace
}  // namespace dbaudit::collector::api
