#include "collector/ingest/ingest_service.h"

#include <algorithm>
#include <chrono>

#include <grpcpp/grpcpp.h>

#include "common/metrics.h"

namespace dbaudit::collector::ingest {
namespace {

struct IngestCounters {
  Counter* batches = MetricsRegistry::Default().GetCounter(
      "dbaudit_ingest_batches_total", "Record batches received by the ingest service");
  Counter* records = MetricsRegistry::Default().GetCounter(
      "dbaudit_ingest_records_total", "Records received by the ingest service");
  Counter* rejected = MetricsRegistry::Default().GetCounter(
      "dbaudit_ingest_rejected_batches_total", "Batches refused as invalid (the stream ends with an error)");
  Counter* store_errors = MetricsRegistry::Default().GetCounter(
      "dbaudit_ingest_store_errors_total", "Batches that could not be written (the stream ends with an error)");
};

IngestCounters& Counters() {
  static IngestCounters counters;
  return counters;
}

// One client stream. Reads a batch, has the write queue write it (the WAL sync is the durability
// the ack promises), then asks for the next one; the ack goes out when the client half-closes.
// The next read starts only after the write, so a stream holds at most one batch in memory.
class StreamReactor final : public grpc::ServerReadReactor<dbaudit::v1::RecordBatch> {
 public:
  StreamReactor(store::EventStore* store, WriteQueue* writes, dbaudit::v1::IngestAck* ack)
      : store_(store), writes_(writes), ack_(ack) {
    StartRead(&batch_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // half-close (or a broken stream): everything read so far is durable
      ack_->set_highest_seq(highest_seq_);
      Finish(grpc::Status::OK);
      return;
    }
    Counters().batches->Add();
    Counters().records->Add(static_cast<uint64_t>(batch_.records_size()));
    // Last use of `this` in the task is StartRead/Finish: OnDone cannot run before either.
    writes_->Submit([this] { WriteBatch(); });
  }

  void OnDone() override { delete this; }
  void OnCancel() override {}

 private:
  void WriteBatch() {
    absl::StatusOr<store::WriteResult> result = store_->Write(batch_);
    if (!result.ok()) {
      const bool invalid = absl::IsInvalidArgument(result.status());
      (invalid ? Counters().rejected : Counters().store_errors)->Add();
      Finish(grpc::Status(invalid ? grpc::StatusCode::INVALID_ARGUMENT : grpc::StatusCode::UNAVAILABLE,
                          std::string(result.status().message())));
      return;
    }
    highest_seq_ = std::max(highest_seq_, result->highest_seq);
    batch_.Clear();
    StartRead(&batch_);
  }

  store::EventStore* store_;
  WriteQueue* writes_;
  dbaudit::v1::IngestAck* ack_;
  dbaudit::v1::RecordBatch batch_;
  uint64_t highest_seq_ = 0;
};

}  // namespace

WriteQueue::WriteQueue() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stop_ and drained
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  });
}

WriteQueue::~WriteQueue() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void WriteQueue::Submit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

IngestService::IngestService(store::EventStore* store) : store_(store) {}

grpc::ServerReadReactor<dbaudit::v1::RecordBatch>* IngestService::Stream(grpc::CallbackServerContext*,
                                                                         dbaudit::v1::IngestAck* ack) {
  return new StreamReactor(store_, &writes_, ack);
}

absl::StatusOr<std::unique_ptr<IngestServer>> IngestServer::Start(const std::string& listen,
                                                                  store::EventStore* store) {
  std::unique_ptr<IngestServer> server(new IngestServer());
  server->service_ = std::make_unique<IngestService>(store);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &server->port_);
  builder.RegisterService(server->service_.get());
  // A batch of 512 statements with long SQL can pass the 4 MB default.
  builder.SetMaxReceiveMessageSize(64 << 20);
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0) {
    return absl::UnavailableError("cannot listen for gRPC on " + listen);
  }
  return server;
}

IngestServer::~IngestServer() { Shutdown(); }

void IngestServer::Shutdown() {
  if (!server_) return;
  // Streams still open after the grace period are cancelled; what they wrote is durable, the
  // sensor resends the rest.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
  server_.reset();
}

}  // namespace dbaudit::collector::ingest
