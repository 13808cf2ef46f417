#include "collector/ingest/ingest_service.h"

#include <grpcpp/grpcpp.h>
#include <thread>
#include <gtest/gtest.h>

#include "collector/store/test_util.h"
#include "common/status_test_util.h"

namespace dbaudit::collector::ingest {
namespace {

using collector::testing::StatementRecord;
using collector::testing::TempDir;

constexpr int64_t kT0 = 1700000000000000;

class IngestServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::EventStore::Open({dir_.path(), 1'000'000, true});
    ASSERT_OK(store);
    store_ = std::move(*store);
    auto server = IngestServer::Start("127.0.0.1:0", store_.get());
    ASSERT_OK(server);
    server_ = std::move(*server);
    ASSERT_GT(server_->port(), 0);
    stub_ = dbaudit::v1::Ingest::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  }

  static dbaudit::v1::RecordBatch Batch(const std::string& sensor, uint64_t first, uint64_t last) {
    dbaudit::v1::RecordBatch batch;
    batch.set_sensor_id(sensor);
    for (uint64_t seq = first; seq <= last; ++seq) {
      *batch.add_records() = StatementRecord(seq, kT0 + static_cast<int64_t>(seq), "SELECT " + std::to_string(seq), "SELECT");
    }
    return batch;
  }

  // One client stream with `batches`; returns the final status and fills *ack.
  grpc::Status Send(const std::vector<dbaudit::v1::RecordBatch>& batches, dbaudit::v1::IngestAck* ack) {
    grpc::ClientContext context;
    auto writer = stub_->Stream(&context, ack);
    for (const auto& b : batches) {
      if (!writer->Write(b)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  uint64_t StoredCount() {
    auto page = store_->ListSqls({}, {1, 1, true});
    EXPECT_OK(page);
    return page.ok() ? page->total : 0;
  }

  TempDir dir_;
  std::unique_ptr<store::EventStore> store_;
  std::unique_ptr<IngestServer> server_;
  std::unique_ptr<dbaudit::v1::Ingest::Stub> stub_;
};

TEST_F(IngestServiceTest, AcksTheHighestSeqAfterWritingEveryBatch) {
  dbaudit::v1::IngestAck ack;
  ASSERT_TRUE(Send({Batch("s1", 1, 100), Batch("s1", 101, 250)}, &ack).ok());
  EXPECT_EQ(ack.highest_seq(), 250u);
  EXPECT_EQ(StoredCount(), 250u);
  EXPECT_EQ(*store_->HighestSeq("s1"), 250u);
}

TEST_F(IngestServiceTest, ResentBatchesCreateNoDuplicates) {
  dbaudit::v1::IngestAck ack;
  ASSERT_TRUE(Send({Batch("s1", 1, 10)}, &ack).ok());
  ASSERT_TRUE(Send({Batch("s1", 1, 10), Batch("s1", 11, 12)}, &ack).ok());
  EXPECT_EQ(ack.highest_seq(), 12u);
  EXPECT_EQ(StoredCount(), 12u);
}

TEST_F(IngestServiceTest, EmptyStreamAcksZero) {
  dbaudit::v1::IngestAck ack;
  ASSERT_TRUE(Send({}, &ack).ok());
  EXPECT_EQ(ack.highest_seq(), 0u);
}

TEST_F(IngestServiceTest, InvalidBatchEndsTheStreamWithInvalidArgument) {
  dbaudit::v1::IngestAck ack;
  grpc::Status status = Send({Batch("s1", 1, 3), Batch("", 4, 5), Batch("s1", 6, 7)}, &ack);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(StoredCount(), 3u);  // the batch before the bad one is durable
}

TEST_F(IngestServiceTest, ConcurrentSensorsAreAllStored) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      dbaudit::v1::IngestAck ack;
      const std::string sensor = "s" + std::to_string(t);
      EXPECT_TRUE(Send({Batch(sensor, 1, 50), Batch(sensor, 51, 100)}, &ack).ok());
      EXPECT_EQ(ack.highest_seq(), 100u);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(StoredCount(), 400u);
}

TEST_F(IngestServiceTest, ShutdownIsIdempotent) {
  server_->Shutdown();
  server_->Shutdown();
  dbaudit::v1::IngestAck ack;
  EXPECT_FALSE(Send({Batch("s1", 1, 1)}, &ack).ok());
}

}  // namespace
}  // namespace dbaudit::collector::ingest
