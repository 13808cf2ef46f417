// The collector's gRPC ingest (proto/dbaudit/v1/ingest.proto, service Ingest). A sensor streams
// RecordBatch messages; each batch is written durably to the EventStore (synced WAL) before the
// next one is read, and when the sensor half-closes the stream the service answers
// IngestAck{highest_seq}: the highest seq of this stream now durable. A resent batch is
// harmless: the store keeps one copy of every (time, sensor, seq).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "collector/store/event_store.h"
#include "dbaudit/v1/ingest.grpc.pb.h"

namespace grpc {
class Server;
}

namespace dbaudit::collector::ingest {

// Runs store writes on a thread of its own, in submission order, so that gRPC's callback
// threads never wait for an fsync. The destructor runs what is queued, then joins.
class WriteQueue {
 public:
  WriteQueue();
  ~WriteQueue();
  void Submit(std::function<void()> task);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
  std::thread thread_;
};

// Callback (reactor) service; one reactor per stream, one read or write in progress per stream.
// PRE: `store` outlives the service.
class IngestService final : public dbaudit::v1::Ingest::CallbackService {
 public:
  explicit IngestService(store::EventStore* store);
  grpc::ServerReadReactor<dbaudit::v1::RecordBatch>* Stream(grpc::CallbackServerContext* context,
                                                            dbaudit::v1::IngestAck* ack) override;

 private:
  store::EventStore* store_;
  WriteQueue writes_;
};

// The ingest service on its own gRPC server.
class IngestServer {
 public:
  // Listens on `listen` ("host:port"; port 0 picks a free one). PRE: `store` outlives the server.
  static absl::StatusOr<std::unique_ptr<IngestServer>> Start(const std::string& listen,
                                                             store::EventStore* store);
  ~IngestServer();
  int port() const { return port_; }
  // Stops accepting, ends open streams and waits for them. Idempotent.
  void Shutdown();

 private:
  IngestServer() = default;
  std::unique_ptr<IngestService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace dbaudit::collector::ingest
