#include "collector/store/event_store.h"

#include <gtest/gtest.h>

#include "collector/store/event_codec.h"
#include "collector/store/test_util.h"
#include "common/status_test_util.h"

namespace dbaudit::collector::store {
namespace {

using collector::testing::BaseRecord;
using collector::testing::LoginRecord;
using collector::testing::StatementRecord;
using collector::testing::TempDir;

constexpr int64_t kT0 = 1700000000000000;  // 2023-11-14T22:13:20Z

class EventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen(size_t scan_budget = 1'000'000) {
    store_.reset();
    auto store = EventStore::Open({dir_.path(), scan_budget, false});
    ASSERT_OK(store);
    store_ = std::move(*store);
  }
  WriteResult WriteBatch(const std::string& sensor, std::vector<dbaudit::v1::Record> records) {
    dbaudit::v1::RecordBatch batch;
    batch.set_sensor_id(sensor);
    for (auto& r : records) *batch.add_records() = std::move(r);
    auto result = store_->Write(batch);
    EXPECT_OK(result);
    return result.ok() ? *result : WriteResult{};
  }
  // Ten statements one second apart: seq 1..10, even ones by bob from 10.0.0.6, odd ones fail.
  void WriteTen(const std::string& sensor = "sensor-a") {
    std::vector<dbaudit::v1::Record> records;
    for (uint64_t i = 1; i <= 10; ++i) {
      auto r = StatementRecord(i, kT0 + static_cast<int64_t>(i) * 1000000, "SELECT " + std::to_string(i),
                               i % 3 == 0 ? "INSERT" : "SELECT", i % 2 == 0);
      if (i % 2 == 0) {
        r.set_db_user("bob");
        r.set_client_ip("10.0.0.6");
      }
      records.push_back(r);
    }
    WriteBatch(sensor, records);
  }
  std::vector<std::string> Sqls(const EventPage& page) {
    std::vector<std::string> out;
    for (const auto& e : page.events) out.push_back(e.record.statement().sql_statement());
    return out;
  }
  std::vector<std::string> Sqls(const SqlPage& page) {
    std::vector<std::string> out;
    for (const auto& r : page.rows) out.push_back(r.record.statement().sql_statement());
    return out;
  }

  TempDir dir_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(EventStoreTest, ResentBatchIsStoredOnce) {
  auto first = WriteBatch("sensor-a", {StatementRecord(1, kT0, "SELECT 1", "SELECT"), LoginRecord(2, kT0 + 1, true)});
  EXPECT_EQ(first.written, 2u);
  EXPECT_EQ(first.highest_seq, 2u);
  auto again = WriteBatch("sensor-a", {StatementRecord(1, kT0, "SELECT 1", "SELECT"), LoginRecord(2, kT0 + 1, true)});
  EXPECT_EQ(again.written, 0u);
  EXPECT_EQ(again.duplicates, 2u);
  EXPECT_EQ(again.highest_seq, 2u);
  auto events = store_->ListEvents({}, {1, 50, true});
  ASSERT_OK(events);
  EXPECT_EQ(events->total, 2u);
  auto sqls = store_->ListSqls({}, {1, 50, true});
  ASSERT_OK(sqls);
  EXPECT_EQ(sqls->total, 2u);
}

TEST_F(EventStoreTest, DuplicatesAreDetectedAcrossARestartAndWithinOneBatch) {
  WriteBatch("sensor-a", {StatementRecord(1, kT0, "SELECT 1", "SELECT")});
  Reopen();
  auto result = WriteBatch("sensor-a", {StatementRecord(1, kT0, "SELECT 1", "SELECT"),
                                        StatementRecord(2, kT0 + 5, "SELECT 2", "SELECT"),
                                        StatementRecord(2, kT0 + 5, "SELECT 2", "SELECT")});
  EXPECT_EQ(result.written, 1u);
  EXPECT_EQ(result.duplicates, 2u);
  auto page = store_->ListSqls({}, {1, 50, false});
  ASSERT_OK(page);
  EXPECT_EQ(Sqls(*page), (std::vector<std::string>{"SELECT 1", "SELECT 2"}));
}

TEST_F(EventStoreTest, SameSeqFromTwoSensorsIsTwoRecords) {
  WriteBatch("sensor-a", {StatementRecord(1, kT0, "SELECT a", "SELECT")});
  WriteBatch("sensor-b", {StatementRecord(1, kT0, "SELECT b", "SELECT")});
  auto page = store_->ListSqls({}, {1, 50, true});
  ASSERT_OK(page);
  EXPECT_EQ(page->total, 2u);
  EXPECT_EQ(page->rows[0].record.sensor_id(), "sensor-b");  // same time: the later sensor number
}

TEST_F(EventStoreTest, HighestSeqIsKeptPerSensorAndSurvivesRestart) {
  WriteBatch("sensor-a", {StatementRecord(7, kT0, "x", "SELECT")});
  WriteBatch("sensor-b", {StatementRecord(3, kT0, "y", "SELECT")});
  WriteBatch("sensor-a", {StatementRecord(5, kT0 - 1, "z", "SELECT")});  // lower seq: highest stays 7
  Reopen();
  EXPECT_EQ(*store_->HighestSeq("sensor-a"), 7u);
  EXPECT_EQ(*store_->HighestSeq("sensor-b"), 3u);
  EXPECT_EQ(*store_->HighestSeq("sensor-c"), 0u);
}

TEST_F(EventStoreTest, RejectsSeqZeroAndMismatchedSensor) {
  dbaudit::v1::RecordBatch batch;
  batch.set_sensor_id("s");
  *batch.add_records() = StatementRecord(0, kT0, "x", "SELECT");
  EXPECT_EQ(store_->Write(batch).status().code(), absl::StatusCode::kInvalidArgument);
  batch.mutable_records(0)->set_seq(1);
  batch.mutable_records(0)->set_sensor_id("other");
  EXPECT_EQ(store_->Write(batch).status().code(), absl::StatusCode::kInvalidArgument);
  batch.clear_sensor_id();
  EXPECT_EQ(store_->Write(batch).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EventStoreTest, EventsNewestFirstWithPagesAndTotal) {
  WriteTen();
  auto p1 = store_->ListEvents({}, {1, 4, true});
  ASSERT_OK(p1);
  EXPECT_EQ(p1->total, 10u);
  EXPECT_TRUE(p1->total_exact);
  EXPECT_EQ(Sqls(*p1), (std::vector<std::string>{"SELECT 10", "SELECT 9", "SELECT 8", "SELECT 7"}));
  auto p3 = store_->ListEvents({}, {3, 4, true});
  ASSERT_OK(p3);
  EXPECT_EQ(Sqls(*p3), (std::vector<std::string>{"SELECT 2", "SELECT 1"}));
  auto p4 = store_->ListEvents({}, {4, 4, true});
  ASSERT_OK(p4);
  EXPECT_TRUE(p4->events.empty());
  EXPECT_EQ(p4->total, 10u);
  auto asc = store_->ListEvents({}, {1, 2, false});
  ASSERT_OK(asc);
  EXPECT_EQ(Sqls(*asc), (std::vector<std::string>{"SELECT 1", "SELECT 2"}));
}

TEST_F(EventStoreTest, EventFiltersCombine) {
  WriteTen();
  WriteBatch("sensor-a", {LoginRecord(11, kT0 + 11000000, false), LoginRecord(12, kT0 + 12000000, true)});
  EventFilter f;
  f.user = "bob";
  EXPECT_EQ(store_->ListEvents(f, {1, 50, true})->total, 5u);
  f.start_us = kT0 + 4000000;
  f.end_us = kT0 + 8000000;  // inclusive: 4, 6, 8
  EXPECT_EQ(Sqls(*store_->ListEvents(f, {1, 50, true})), (std::vector<std::string>{"SELECT 8", "SELECT 6", "SELECT 4"}));
  EventFilter by_ip;
  by_ip.source_ip = "10.0.0.5";
  by_ip.type = "database.query";
  EXPECT_EQ(store_->ListEvents(by_ip, {1, 50, true})->total, 5u);
  EventFilter users;
  users.type = "user.*";
  EXPECT_EQ(store_->ListEvents(users, {1, 50, true})->total, 2u);
  EventFilter warn;
  warn.severity = "warning";
  auto w = store_->ListEvents(warn, {1, 50, true});
  ASSERT_OK(w);
  ASSERT_EQ(w->total, 1u);
  EXPECT_EQ(w->events[0].type, "user.login_failed");
  EventFilter db;
  db.database_id = DatabaseIdFor("10.0.0.9", 3306);
  db.type = "*";
  EXPECT_EQ(store_->ListEvents(db, {1, 50, true})->total, 12u);
  db.database_id = DatabaseIdFor("10.0.0.9", 5432);
  EXPECT_EQ(store_->ListEvents(db, {1, 50, true})->total, 0u);
}

TEST_F(EventStoreTest, GetEventByIdAndUnknownIds) {
  WriteTen();
  auto page = store_->ListEvents({}, {1, 1, true});
  ASSERT_OK(page);
  ASSERT_EQ(page->events.size(), 1u);
  auto event = store_->GetEvent(page->events[0].id);
  ASSERT_OK(event);
  EXPECT_EQ(event->record.statement().sql_statement(), "SELECT 10");
  EXPECT_EQ(event->record.sensor_id(), "sensor-a");  // filled in from the batch
  EXPECT_EQ(event->timestamp_us, kT0 + 10000000);
  EXPECT_GT(event->processed_at_us, 0);
  EXPECT_EQ(event->database_id, DatabaseIdFor("10.0.0.9", 3306));
  EXPECT_EQ(store_->GetEvent("evt_nope").status().code(), absl::StatusCode::kNotFound);
  std::string other = page->events[0].id;
  other[other.size() - 2] = other[other.size() - 2] == '0' ? '1' : '0';
  EXPECT_EQ(store_->GetEvent(other).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EventStoreTest, EventIdsAreStableAcrossAResend) {
  WriteBatch("sensor-a", {StatementRecord(1, kT0, "SELECT 1", "SELECT")});
  const std::string id = store_->ListEvents({}, {1, 1, true})->events.at(0).id;
  WriteBatch("sensor-a", {StatementRecord(1, kT0, "SELECT 1", "SELECT")});
  auto page = store_->ListEvents({}, {1, 5, true});
  ASSERT_OK(page);
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].id, id);
}

TEST_F(EventStoreTest, SqlFilters) {
  WriteTen();
  WriteBatch("sensor-a", {LoginRecord(11, kT0 + 11000000, false)});
  SqlFilter f;
  f.db_user = "bob";
  f.sql_response = "SUCCESS";
  EXPECT_EQ(store_->ListSqls(f, {1, 50, true})->total, 5u);
  f.sql_response = "FAILED";
  EXPECT_EQ(store_->ListSqls(f, {1, 50, true})->total, 0u);
  SqlFilter by_type;
  by_type.query_type = "insert";
  EXPECT_EQ(Sqls(*store_->ListSqls(by_type, {1, 50, false})), (std::vector<std::string>{"SELECT 3", "SELECT 6", "SELECT 9"}));
  SqlFilter login;
  login.query_type = "LOGIN";
  auto logins = store_->ListSqls(login, {1, 50, true});
  ASSERT_OK(logins);
  ASSERT_EQ(logins->total, 1u);
  EXPECT_TRUE(logins->rows[0].record.has_login());
  SqlFilter text;
  text.sql_statement = "SELECT 1";  // matches "SELECT 1" and "SELECT 10"
  EXPECT_EQ(store_->ListSqls(text, {1, 50, true})->total, 2u);
  SqlFilter db_ip;
  db_ip.db_ip = "10.0.0.9";
  db_ip.client_name = "mysql";
  db_ip.start_us = kT0 + 9000000;
  EXPECT_EQ(store_->ListSqls(db_ip, {1, 50, true})->total, 3u);  // 9, 10 and the login
  SqlFilter risky;
  risky.risk_levels = {"HIGH"};
  EXPECT_EQ(store_->ListSqls(risky, {1, 50, true})->total, 0u);
}

TEST_F(EventStoreTest, SessionRecordsAreEventsButNotAuditRows) {
  auto connect = BaseRecord(1, kT0);
  connect.mutable_connect();
  auto gap = BaseRecord(2, kT0 + 1);
  gap.mutable_gap()->set_gap_bytes(10);
  WriteBatch("sensor-a", {connect, gap});
  EXPECT_EQ(store_->ListSqls({}, {1, 50, true})->total, 0u);
  auto events = store_->ListEvents({}, {1, 50, true});
  ASSERT_OK(events);
  ASSERT_EQ(events->total, 1u);
  EXPECT_EQ(events->events[0].type, "database.connection");
}

TEST_F(EventStoreTest, ScanBudgetBoundsTheCount) {
  WriteTen();
  Reopen(/*scan_budget=*/4);
  auto page = store_->ListEvents({}, {1, 2, true});
  ASSERT_OK(page);
  EXPECT_FALSE(page->total_exact);
  EXPECT_EQ(page->total, 4u);
  EXPECT_EQ(page->events.size(), 2u);
}

TEST_F(EventStoreTest, SettingsPersist) {
  EXPECT_EQ(store_->GetSetting("api_key").status().code(), absl::StatusCode::kNotFound);
  ASSERT_OK(store_->PutSetting("api_key", "abc"));
  Reopen();
  EXPECT_EQ(*store_->GetSetting("api_key"), "abc");
}

}  // namespace
}  // namespace dbaudit::collector::store
