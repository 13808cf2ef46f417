#include "collector/store/event_codec.h"

#include <gtest/gtest.h>

#include <random>

#include "collector/store/test_util.h"

namespace dbaudit::collector::store {
namespace {

using collector::testing::BaseRecord;
using collector::testing::LoginRecord;
using collector::testing::StatementRecord;

TEST(EventCodecTest, RecordKindsGiveTheDocumentedEvents) {
  auto query = DeriveEvent(StatementRecord(1, 10, "SELECT 1", "SELECT"), 99);
  ASSERT_TRUE(query.has_value());
  EXPECT_EQ(query->type, "database.query");
  EXPECT_EQ(query->severity, "info");
  EXPECT_EQ(query->user, "alice");
  EXPECT_EQ(query->source_ip, "10.0.0.5");
  EXPECT_EQ(query->processed_at_us, 99);

  auto failed = DeriveEvent(LoginRecord(2, 10, false), 0);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->type, "user.login_failed");
  EXPECT_EQ(failed->severity, "warning");
  EXPECT_EQ(DeriveEvent(LoginRecord(3, 10, true), 0)->type, "user.login_success");

  auto connect = BaseRecord(4, 10);
  connect.mutable_connect();
  EXPECT_EQ(DeriveEvent(connect, 0)->type, "database.connection");
  auto disconnect = BaseRecord(5, 10);
  disconnect.mutable_disconnect();
  EXPECT_EQ(DeriveEvent(disconnect, 0)->type, "database.disconnect");

  auto gap = BaseRecord(6, 10);
  gap.mutable_gap()->set_gap_bytes(100);
  EXPECT_FALSE(DeriveEvent(gap, 0).has_value());
  auto encrypted = BaseRecord(7, 10);
  encrypted.mutable_encrypted();
  EXPECT_FALSE(DeriveEvent(encrypted, 0).has_value());
}

TEST(EventCodecTest, SeverityTableFollowsTheEventsApi) {
  EXPECT_EQ(SeverityOfType("security.threat_detected"), "critical");
  EXPECT_EQ(SeverityOfType("policy.violation"), "warning");
  EXPECT_EQ(SeverityOfType("policy.match"), "info");
  EXPECT_TRUE(IsKnownEventType("data.export"));
  EXPECT_FALSE(IsKnownEventType("data.exports"));
}

TEST(EventCodecTest, TypePatterns) {
  EXPECT_TRUE(EventTypeMatches("", "database.query"));
  EXPECT_TRUE(EventTypeMatches("*", "database.query"));
  EXPECT_TRUE(EventTypeMatches("database.*", "database.query"));
  EXPECT_FALSE(EventTypeMatches("data.*", "database.query"));
  EXPECT_TRUE(EventTypeMatches("data.*", "data.export"));
  EXPECT_FALSE(EventTypeMatches("database.quer", "database.query"));
}

TEST(EventCodecTest, EventValueRoundTripsAndRejectsTruncation) {
  EventInfo info{"user.login_failed", "warning", 1234567, "bob", "::1", "db_0123456789ab"};
  const std::string value = EncodeEventValue(info);
  auto back = DecodeEventValue(value);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->type, info.type);
  EXPECT_EQ(back->severity, info.severity);
  EXPECT_EQ(back->processed_at_us, info.processed_at_us);
  EXPECT_EQ(back->user, info.user);
  EXPECT_EQ(back->source_ip, info.source_ip);
  EXPECT_EQ(back->database_id, info.database_id);
  for (size_t n = 0; n < value.size(); ++n) {
    EXPECT_FALSE(DecodeEventValue(value.substr(0, n)).has_value()) << n;
  }
}

TEST(EventCodecTest, DatabaseIdIsStableAndDependsOnAddressAndPort) {
  const std::string a = DatabaseIdFor("10.0.0.9", 3306);
  EXPECT_EQ(a, DatabaseIdFor("10.0.0.9", 3306));
  EXPECT_NE(a, DatabaseIdFor("10.0.0.9", 3307));
  EXPECT_NE(a, DatabaseIdFor("10.0.0.8", 3306));
  EXPECT_EQ(a.size(), 15u);
  EXPECT_EQ(a.substr(0, 3), "db_");
}

TEST(EventCodecTest, AuditRowFields) {
  EXPECT_EQ(AuditQueryType(LoginRecord(1, 1, true)), "LOGIN");
  EXPECT_EQ(AuditQueryType(StatementRecord(1, 1, "x", "")), "OTHER");
  EXPECT_EQ(AuditQueryType(StatementRecord(1, 1, "x", "create table")), "CREATE_TABLE");
  EXPECT_EQ(AuditSqlResponse(StatementRecord(1, 1, "x", "SELECT", false)), "FAILED");
  EXPECT_EQ(AuditSqlResponse(LoginRecord(1, 1, true)), "SUCCESS");
  EXPECT_EQ(NormalizeQueryType("CREATE TABLE"), "CREATE_TABLE");
}

}  // namespace
}  // namespace dbaudit::collector::store

namespace dbaudit::collector::store {
namespace {

TEST(EventCodecTest, DecodeSurvivesRandomBytes) {
  std::mt19937 rng(11);
  const std::string valid = EncodeEventValue({"database.query", "info", 5, "u", "1.2.3.4", "db_x"});
  for (int i = 0; i < 50000; ++i) {
    std::string v = valid;
    for (int e = 0; e < 3; ++e) v[rng() % v.size()] = static_cast<char>(rng() % 256);
    if (rng() % 2) v.resize(rng() % (v.size() + 1));
    (void)DecodeEventValue(v);
  }
}

}  // namespace
}  // namespace dbaudit::collector::store
