#include "sensor/ship/grpc_ship_sink.h"

#include <algorithm>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "dbaudit/v1/ingest.grpc.pb.h"
#include "sensor/ship/record_convert.h"

namespace dbaudit::sensor::ship {
namespace {

// How often an idle sender looks at the partial batch, the flush flag and the stream age.
constexpr std::chrono::milliseconds kPoll{50};

}  // namespace

struct GrpcShipSink::Channel {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<dbaudit::v1::Ingest::Stub> stub;
};

GrpcShipSink::GrpcShipSink(const ShipOptions& options)
    : options_(options),
      channel_(std::make_unique<Channel>()),
      spool_(std::make_unique<MemorySpool>(options.max_queued_batches)),
      sent_records_(MetricsRegistry::Default().GetCounter("dbaudit_ship_records_sent_total",
                                                          "Records written to a collector stream (resends included)")),
      acked_records_(MetricsRegistry::Default().GetCounter("dbaudit_ship_records_acked_total",
                                                           "Records the collector acknowledged as durable")),
      dropped_records_(MetricsRegistry::Default().GetCounter(
          "dbaudit_ship_records_dropped_total", "Records dropped because the shipper gave up on the collector")),
      stream_failures_(MetricsRegistry::Default().GetCounter(
          "dbaudit_ship_stream_errors_total", "Collector streams that failed and were retried")) {
  channel_->channel = grpc::CreateChannel(options_.collector, grpc::InsecureChannelCredentials());
  channel_->stub = dbaudit::v1::Ingest::NewStub(channel_->channel);
  sender_ = std::thread([this] { SenderLoop(); });
}

GrpcShipSink::~GrpcShipSink() { Finish().IgnoreError(); }

void GrpcShipSink::Emit(Record&& record) {
  std::lock_guard<std::mutex> emit_lock(emit_mu_);
  BatchPtr full;
  {
    std::lock_guard<std::mutex> lock(mu_);
    record.seq = next_seq_++;
    ++emitted_;
    if (gave_up_ || finished_) {
      dropped_records_->Add();
      return;
    }
    if (!partial_) {
      partial_ = std::make_shared<dbaudit::v1::RecordBatch>();
      partial_->set_sensor_id(options_.sensor_id);
      partial_since_ = std::chrono::steady_clock::now();
    }
    ToProto(record, options_.sensor_id, partial_->add_records());
    if (static_cast<size_t>(partial_->records_size()) < options_.batch_records) return;
    full = std::move(partial_);
    partial_.reset();
  }
  if (!spool_->Append(full)) dropped_records_->Add(static_cast<uint64_t>(full->records_size()));
}

void GrpcShipSink::Flush() {
  {
    std::lock_guard<std::mutex> emit_lock(emit_mu_);
    BatchPtr rest;
    {
      std::lock_guard<std::mutex> lock(mu_);
      rest = std::move(partial_);
      partial_.reset();
    }
    if (rest && !spool_->Append(rest)) dropped_records_->Add(static_cast<uint64_t>(rest->records_size()));
  }
  std::unique_lock<std::mutex> lock(mu_);
  flushing_ = true;
  acked_cv_.wait(lock, [&] { return gave_up_ || spool_->batches() == 0; });
  flushing_ = false;
}

absl::Status GrpcShipSink::Finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return finish_status_;
  }
  Flush();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  if (sender_.joinable()) sender_.join();
  std::lock_guard<std::mutex> lock(mu_);
  finished_ = true;
  const uint64_t missing = emitted_ - acked_;
  if (missing == 0) {
    finish_status_ = absl::OkStatus();
  } else {
    finish_status_ = absl::UnavailableError(absl::StrCat(
        missing, " of ", emitted_, " records were not acknowledged by the collector at ", options_.collector,
        last_error_.ok() ? std::string() : absl::StrCat(": ", last_error_.message())));
  }
  return finish_status_;
}

uint64_t GrpcShipSink::records_emitted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return emitted_;
}

uint64_t GrpcShipSink::records_acked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acked_;
}

void GrpcShipSink::TryMovePartialBatch() {
  std::unique_lock<std::mutex> emit_lock(emit_mu_, std::try_to_lock);
  if (!emit_lock.owns_lock()) return;  // Emit is busy (maybe waiting for room): it moves batches itself
  if (spool_->batches() >= options_.max_queued_batches) return;  // would wait: only we append now
  BatchPtr batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const bool old = std::chrono::steady_clock::now() - partial_since_ >= options_.max_batch_age;
    if (!partial_ || !(old || flushing_ || stopping_)) return;
    batch = std::move(partial_);
    partial_.reset();
  }
  if (!spool_->Append(batch)) dropped_records_->Add(static_cast<uint64_t>(batch->records_size()));
}

bool GrpcShipSink::ShouldCloseStream(std::chrono::steady_clock::time_point opened) const {
  std::lock_guard<std::mutex> lock(mu_);
  return flushing_ || stopping_ || std::chrono::steady_clock::now() - opened >= options_.max_stream_age;
}

absl::Status GrpcShipSink::SendOneStream(size_t* acked_batches) {
  *acked_batches = 0;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + options_.stream_deadline);
  dbaudit::v1::IngestAck ack;
  std::unique_ptr<grpc::ClientWriter<dbaudit::v1::RecordBatch>> writer = channel_->stub->Stream(&context, &ack);
  const auto opened = std::chrono::steady_clock::now();
  size_t sent = 0;
  uint64_t highest = 0;
  while (sent < options_.max_batches_per_stream) {
    BatchPtr batch = spool_->Get(sent, kPoll);
    if (!batch) {
      TryMovePartialBatch();
      if (spool_->batches() > sent) continue;
      if (ShouldCloseStream(opened)) break;
      continue;
    }
    if (!writer->Write(*batch)) break;  // the stream is broken; Finish() says why
    ++sent;
    if (batch->records_size() > 0) highest = std::max(highest, batch->records(batch->records_size() - 1).seq());
    sent_records_->Add(static_cast<uint64_t>(batch->records_size()));
  }
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat("stream failed: ", status.error_message(), " (grpc code ",
                                               static_cast<int>(status.error_code()), ")"));
  }
  if (ack.highest_seq() < highest) {
    return absl::UnavailableError(absl::StrCat("collector acked seq ", ack.highest_seq(), ", sent up to ", highest));
  }
  *acked_batches = sent;
  return absl::OkStatus();
}

void GrpcShipSink::SenderLoop() {
  int failures = 0;
  std::chrono::milliseconds backoff = options_.initial_backoff;
  while (true) {
    if (!spool_->Get(0, kPoll)) {
      TryMovePartialBatch();
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ && spool_->batches() == 0 && !partial_) return;
      continue;
    }
    size_t acked = 0;
    const absl::Status status = SendOneStream(&acked);
    uint64_t acked_records = 0;
    for (size_t i = 0; i < acked; ++i) acked_records += static_cast<uint64_t>(spool_->Get(i, kPoll)->records_size());
    spool_->Ack(acked);
    acked_records_->Add(acked_records);
    std::unique_lock<std::mutex> lock(mu_);
    acked_ += acked_records;
    if (status.ok()) {
      failures = 0;
      backoff = options_.initial_backoff;
      acked_cv_.notify_all();
      continue;
    }
    stream_failures_->Add();
    last_error_ = status;
    if (++failures >= options_.max_attempts) {
      gave_up_ = true;
      spool_->Close();
      acked_cv_.notify_all();
      return;
    }
    lock.unlock();
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

}  // namespace dbaudit::sensor::ship
