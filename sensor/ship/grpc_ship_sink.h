// GrpcShipSink: the sensor's last stage when --collector is given. It assigns each record its
// seq, packs records into RecordBatch messages, and ships them over the Ingest.Stream
// client-streaming call (proto/dbaudit/v1/ingest.proto) from one background thread.
//
// Acks: the collector acks once per stream, when the sensor half-closes it. So the sender closes
// a stream after `max_batches_per_stream` batches (or `max_stream_age` for slow live traffic, or
// at Flush), reads IngestAck{highest_seq}, and only then drops those batches from the spool.
// A failed stream is retried with exponential backoff from the oldest unacked batch; resending
// is safe because the collector stores each (time, sensor, seq) once.
//
// Memory is bounded by the spool (max_queued_batches x batch_records): when it is full, Emit
// waits for acks (back-pressure on offline reads). Once the shipper gives up (max_attempts
// failures in a row), Emit drops and counts (dbaudit_ship_records_dropped_total) and Finish()
// reports the failure.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "common/metrics.h"
#include "sensor/record/record_sink.h"
#include "sensor/ship/spool.h"

namespace dbaudit::sensor::ship {

struct ShipOptions {
  std::string collector;  // "host:port"
  std::string sensor_id;
  size_t batch_records = 512;
  size_t max_batches_per_stream = 64;
  size_t max_queued_batches = 64;
  std::chrono::milliseconds max_batch_age{500};      // a partial batch waits no longer than this
  std::chrono::milliseconds max_stream_age{5000};    // a stream is closed (and acked) after this
  std::chrono::milliseconds stream_deadline{60000};  // an unresponsive collector fails the stream
  int max_attempts = 8;                              // failures in a row before giving up
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
};

class GrpcShipSink final : public RecordSink {
 public:
  // Starts the sender thread; connecting happens lazily on the first batch.
  explicit GrpcShipSink(const ShipOptions& options);
  ~GrpcShipSink() override;  // calls Finish() if it was not called

  // Thread-safe. Assigns record.seq (1, 2, ... like JsonlSink).
  void Emit(Record&& record) override;
  // Hands the partial batch to the sender and waits until everything is acknowledged or the
  // shipper gave up.
  void Flush() override;
  // Flush, stop the sender. OK only when every emitted record was acknowledged by the collector;
  // otherwise Unavailable with how many records were not. Idempotent.
  absl::Status Finish();

  uint64_t records_emitted() const;
  uint64_t records_acked() const;

 private:
  struct Channel;
  void SenderLoop();
  // One stream: sends up to max_batches_per_stream batches, returns how many were acked.
  absl::Status SendOneStream(size_t* acked_batches);
  // Moves an old enough (or, when flushing, any) partial batch to the spool, without waiting.
  void TryMovePartialBatch();
  bool ShouldCloseStream(std::chrono::steady_clock::time_point opened) const;

  const ShipOptions options_;
  std::unique_ptr<Channel> channel_;
  std::unique_ptr<Spool> spool_;

  std::mutex emit_mu_;  // serialises Emit/Flush so batches enter the spool in seq order
  mutable std::mutex mu_;
  std::condition_variable acked_cv_;
  std::shared_ptr<dbaudit::v1::RecordBatch> partial_;  // under mu_
  std::chrono::steady_clock::time_point partial_since_;
  uint64_t next_seq_ = 1;
  uint64_t emitted_ = 0;
  uint64_t acked_ = 0;
  bool flushing_ = false;
  bool stopping_ = false;
  bool gave_up_ = false;
  bool finished_ = false;
  absl::Status last_error_;     // of the last failed stream
  absl::Status finish_status_;
  std::thread sender_;

  Counter* sent_records_;
  Counter* acked_records_;
  Counter* dropped_records_;
  Counter* stream_failures_;
};

}  // namespace dbaudit::sensor::ship
