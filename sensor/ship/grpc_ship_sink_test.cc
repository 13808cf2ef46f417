#include "sensor/ship/grpc_ship_sink.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "collector/ingest/ingest_service.h"
#include "collector/store/event_store.h"
#include "collector/store/test_util.h"
#include "common/status_test_util.h"

namespace dbaudit::sensor::ship {
namespace {

using collector::testing::TempDir;

// A port nothing listens on right now (bound to 0, read back, closed).
int UnusedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return 0;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

Record Statement(int i) {
  Record r;
  r.kind = RecordKind::kStatement;
  r.timestamp_us = 1700000000000000 + i;
  r.session = {"s-1", Protocol::kMysql, "10.1.1.1", 5000, "10.1.1.2", 3306, "app", "shop", "cli"};
  r.sql_statement = "SELECT " + std::to_string(i);
  r.query_type = "SELECT";
  r.sql_response = SqlResponse::kSuccess;
  return r;
}

class GrpcShipSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = collector::store::EventStore::Open({dir_.path(), 1'000'000, false});
    ASSERT_OK(store);
    store_ = std::move(*store);
  }
  void StartCollector(int port = 0) {
    auto server = collector::ingest::IngestServer::Start("127.0.0.1:" + std::to_string(port), store_.get());
    ASSERT_OK(server);
    server_ = std::move(*server);
  }
  ShipOptions Options(int port) {
    ShipOptions o;
    o.collector = "127.0.0.1:" + std::to_string(port);
    o.sensor_id = "sensor-test";
    return o;
  }
  std::vector<std::string> StoredSqlAscending() {
    auto page = store_->ListSqls({}, {1, 10000, false});
    EXPECT_OK(page);
    std::vector<std::string> out;
    if (!page.ok()) return out;
    for (const auto& row : page->rows) out.push_back(row.record.statement().sql_statement());
    return out;
  }

  TempDir dir_;
  std::unique_ptr<collector::store::EventStore> store_;
  std::unique_ptr<collector::ingest::IngestServer> server_;
};

TEST_F(GrpcShipSinkTest, EveryRecordIsAcknowledgedAndStoredInOrder) {
  StartCollector();
  ShipOptions o = Options(server_->port());
  o.batch_records = 7;
  o.max_batches_per_stream = 3;  // several streams, several acks
  GrpcShipSink sink(o);
  std::vector<std::string> expected;
  for (int i = 0; i < 100; ++i) {
    sink.Emit(Statement(i));
    expected.push_back("SELECT " + std::to_string(i));
  }
  ASSERT_OK(sink.Finish());
  EXPECT_EQ(sink.records_acked(), 100u);
  EXPECT_EQ(StoredSqlAscending(), expected);
  EXPECT_EQ(*store_->HighestSeq("sensor-test"), 100u);
  EXPECT_OK(sink.Finish());  // idempotent
}

TEST_F(GrpcShipSinkTest, TrickleIsShippedWithoutFlush) {
  StartCollector();
  ShipOptions o = Options(server_->port());
  o.max_batch_age = std::chrono::milliseconds(20);
  o.max_stream_age = std::chrono::milliseconds(100);
  GrpcShipSink sink(o);
  for (int i = 0; i < 3; ++i) sink.Emit(Statement(i));
  for (int i = 0; i < 200 && sink.records_acked() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(sink.records_acked(), 3u);
  EXPECT_EQ(StoredSqlAscending().size(), 3u);
  EXPECT_OK(sink.Finish());
}

TEST_F(GrpcShipSinkTest, RetriesUntilTheCollectorComesUp) {
  const int port = UnusedPort();
  ASSERT_GT(port, 0);
  ShipOptions o = Options(port);
  o.initial_backoff = std::chrono::milliseconds(50);
  o.max_backoff = std::chrono::milliseconds(200);
  o.max_attempts = 50;
  GrpcShipSink sink(o);
  for (int i = 0; i < 20; ++i) sink.Emit(Statement(i));
  std::thread late([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    StartCollector(port);
  });
  const absl::Status status = sink.Finish();
  late.join();
  ASSERT_OK(status);
  EXPECT_EQ(StoredSqlAscending().size(), 20u);
}

TEST_F(GrpcShipSinkTest, CollectorRestartMidStreamResendsWithoutDuplicates) {
  StartCollector();
  const int port = server_->port();
  ShipOptions o = Options(port);
  o.batch_records = 10;
  o.max_batches_per_stream = 1000;  // one long stream: written but not yet acknowledged
  o.max_stream_age = std::chrono::milliseconds(60000);
  o.initial_backoff = std::chrono::milliseconds(50);
  o.max_attempts = 50;
  GrpcShipSink sink(o);
  for (int i = 0; i < 50; ++i) sink.Emit(Statement(i));
  for (int i = 0; i < 200 && StoredSqlAscending().size() < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(StoredSqlAscending().size(), 50u);
  EXPECT_EQ(sink.records_acked(), 0u);
  server_->Shutdown();  // the open stream dies before its ack
  server_.reset();
  StartCollector(port);
  ASSERT_OK(sink.Finish());  // everything is resent once more and acknowledged
  EXPECT_EQ(sink.records_acked(), 50u);
  EXPECT_EQ(StoredSqlAscending().size(), 50u);  // the resend created no duplicates
}

TEST_F(GrpcShipSinkTest, FinishFailsWhenNothingIsAcknowledged) {
  ShipOptions o = Options(UnusedPort());
  o.max_attempts = 2;
  o.initial_backoff = std::chrono::milliseconds(10);
  GrpcShipSink sink(o);
  for (int i = 0; i < 5; ++i) sink.Emit(Statement(i));
  const absl::Status status = sink.Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("5 of 5 records"), std::string_view::npos) << status;
  sink.Emit(Statement(6));  // after giving up: dropped, not blocking
  EXPECT_EQ(sink.records_acked(), 0u);
}

TEST_F(GrpcShipSinkTest, NothingEmittedFinishesOk) {
  GrpcShipSink sink(Options(UnusedPort()));
  EXPECT_OK(sink.Finish());
}

TEST_F(GrpcShipSinkTest, SeqIsAssignedInEmitOrderFromOne) {
  StartCollector();
  GrpcShipSink sink(Options(server_->port()));
  Record a = Statement(1);
  sink.Emit(std::move(a));
  sink.Emit(Statement(2));
  ASSERT_OK(sink.Finish());
  auto page = store_->ListSqls({}, {1, 10, false});
  ASSERT_OK(page);
  ASSERT_EQ(page->rows.size(), 2u);
  EXPECT_EQ(page->rows[0].record.seq(), 1u);
  EXPECT_EQ(page->rows[1].record.seq(), 2u);
  EXPECT_EQ(page->rows[0].record.sensor_id(), "sensor-test");
}

}  // namespace
}  // namespace dbaudit::sensor::ship
